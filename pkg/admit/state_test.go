package admit_test

import (
	"context"
	"testing"

	"github.com/sluice-gw/sluice/pkg/admit"
	"github.com/sluice-gw/sluice/pkg/gwerror"
	"github.com/sluice-gw/sluice/pkg/pipeline"
	"github.com/sluice-gw/sluice/pkg/tokens"
	"github.com/sluice-gw/sluice/pkg/translate"
)

// A reload must not hand out a fresh minute of quota.
func TestReloadKeepsCounters(t *testing.T) {
	snap := snapshot(t, limitsCfg)
	st, _, stage := newStage(t, snap)
	for range 2 {
		if err := stage.OnRequest(context.Background(), exchange(snap, caller(), 0)); err != nil {
			t.Fatal(err)
		}
	}
	next := snapshot(t, limitsCfg+`
budgets:
  - {name: acme-daily, scope: tenant, id: acme, period: daily, limit: "5"}
`)
	if err := st.Reload(context.Background(), next); err != nil {
		t.Fatal(err)
	}
	if st.Budgets() == nil {
		t.Fatal("budgets not applied")
	}
	if err := stage.OnRequest(context.Background(), exchange(next, caller(), 0)); code(err) != gwerror.RateLimited {
		t.Errorf("third request after a reload: %v, want 429", err)
	}
}

func TestTokenizer(t *testing.T) {
	body := []byte(`{"model":"gpt-4o","messages":[{"role":"system","content":"You are terse."},{"role":"user","content":"What is the capital of France?"}]}`)
	tests := []struct {
		name string
		api  pipeline.API
		body []byte
		want func(n int64) bool
	}{
		{"chat is tokenized", pipeline.APIChat, body, func(n int64) bool { return n > 10 && n < int64(tokens.Approx(body)) }},
		{"embeddings", pipeline.APIEmbeddings, []byte(`{"model":"e","input":["hello world","again"]}`), func(n int64) bool { return n == 3 }},
		{"messages fall back to bytes/4", pipeline.APIMessages, body, func(n int64) bool { return n == int64(tokens.Approx(body)) }},
		{"a body it cannot read falls back", pipeline.APIChat, []byte(`{"model":"m"}`), func(n int64) bool { return n == 4 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := &pipeline.Exchange{API: tt.api, Request: translate.Request{Body: tt.body}}
			if n := (&admit.Tokenizer{}).InputTokens(x, "gpt-4o"); !tt.want(n) {
				t.Errorf("estimate %d", n)
			}
		})
	}
}
