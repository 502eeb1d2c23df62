package account_test

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sluice-gw/sluice/pkg/account"
	"github.com/sluice-gw/sluice/pkg/admit"
	"github.com/sluice-gw/sluice/pkg/config"
	"github.com/sluice-gw/sluice/pkg/identity"
	"github.com/sluice-gw/sluice/pkg/pipeline"
	"github.com/sluice-gw/sluice/pkg/translate"
)

const cfg = `
backends:
  - {name: openai, provider: openai, credential: {env: K}}
  - {name: anthropic, provider: anthropic, credential: {env: A}}
models:
  - {name: gpt-4o, backend: openai}
  - {name: claude, backend: anthropic, upstream_model: claude-sonnet-4-5-20250929}
fallback_chains: [{name: oa, backends: [openai, anthropic]}]
budgets:
  - {name: acme-monthly, scope: tenant, id: acme, period: monthly, limit: "1.00"}
`

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// ticket records how a call's limits were settled.
type ticket struct{ calls []string }

func (t *ticket) Settle(_ context.Context, in, out int64) error {
	t.calls = append(t.calls, "settle "+itoa(in)+" "+itoa(out))
	return nil
}

func (t *ticket) Release(context.Context) error {
	t.calls = append(t.calls, "release")
	return nil
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func setup(t *testing.T) (*account.Stage, *admit.State, *config.Snapshot) {
	t.Helper()
	snap, err := config.Parse("test.yaml", []byte(cfg), config.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	snap.Server.AdminToken = "test-admin-token" // /admin/usage is on, so records are kept
	st := admit.NewState(quiet)
	if err := st.Reload(context.Background(), snap); err != nil {
		t.Fatal(err)
	}
	return account.New(st, account.NewLog(10), quiet), st, snap
}

// routed is a gpt-4o call as admit and route leave it: 100 input and 400
// output tokens estimated.
func routed(snap *config.Snapshot, tk *ticket) *pipeline.Exchange {
	m, _ := snap.Model("gpt-4o")
	return &pipeline.Exchange{
		Config: snap, API: pipeline.APIChat, Model: "gpt-4o", Route: m, Target: m.Target(), Start: time.Now(),
		Identity:  &identity.Identity{Tenant: "acme", Key: &identity.KeyInfo{ID: "k1"}},
		Admission: &pipeline.Admission{Ticket: tk, Estimate: translate.Usage{InputTokens: 100, OutputTokens: 400, Estimated: true}},
	}
}

func TestAccounting(t *testing.T) {
	tests := []struct {
		name   string
		status int
		usage  translate.Usage // what the provider reported by the end
		cut    bool            // the stream ends without its last chunk
		ticket []string
		meta   map[string]string
		cost   int64
	}{
		{
			name: "usage settles the limits and is priced", status: 200,
			usage:  translate.Usage{InputTokens: 1000, OutputTokens: 500},
			ticket: []string{"settle 1000 500"},
			// gpt-4o: $2.50 and $10.00 per 1M tokens.
			meta: map[string]string{"input_tokens": "1000", "output_tokens": "500", "total_tokens": "1500",
				"cost_micros": "7500", "tenant": "acme", "model": "gpt-4o", "backend": "openai"},
			cost: 7500,
		},
		{
			name: "no usage reported: the estimate stands", status: 200,
			ticket: []string{"release"},
			meta: map[string]string{"input_tokens": "100", "output_tokens": "400", "total_tokens": "500",
				"cost_micros": "4250", "tenant": "acme", "model": "gpt-4o", "backend": "openai"},
			cost: 4250,
		},
		{
			// Nothing reached the client: the input estimate is charged.
			name: "the client went away before any output", status: 200, cut: true,
			ticket: []string{"settle 100 0"}, cost: 250,
		},
		{
			name: "a provider error used nothing", status: 429,
			ticket: []string{"settle 0 0"},
			meta: map[string]string{"input_tokens": "0", "output_tokens": "0", "total_tokens": "0",
				"cost_micros": "0", "tenant": "acme", "model": "gpt-4o", "backend": "openai"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stage, st, snap := setup(t)
			tk := &ticket{}
			x := routed(snap, tk)
			x.Status = tt.status
			ctx := context.Background()
			if err := stage.OnResponseHeaders(ctx, x); err != nil {
				t.Fatal(err)
			}
			if tt.status == 200 {
				x.Out = pipeline.Mutation{}
				if _, err := stage.OnResponseBody(ctx, x, []byte("data"), false); err != nil {
					t.Fatal(err)
				}
				if len(tk.calls) > 0 || x.Out.Metadata != nil {
					t.Fatal("accounted before the end")
				}
				if !tt.cut {
					x.Usage = tt.usage
					if _, err := stage.OnResponseBody(ctx, x, nil, true); err != nil {
						t.Fatal(err)
					}
				}
			}
			x.End(ctx)
			if d := cmp.Diff(tt.ticket, tk.calls); d != "" {
				t.Errorf("ticket (-want +got):\n%s", d)
			}
			if tt.meta != nil {
				if d := cmp.Diff(tt.meta, metadataMap(x.Out.Metadata)); d != "" {
					t.Errorf("metadata (-want +got):\n%s", d)
				}
			}
			d, err := st.Budgets().Check(ctx, admit.BudgetScopes(nil, x.Identity))
			if err != nil {
				t.Fatal(err)
			}
			if spent := 1_000_000 - int64(d.RemainingFraction*1_000_000+0.5); spent != tt.cost {
				t.Errorf("budget charged %d, want %d", spent, tt.cost)
			}
			recs, _ := stage.Usage().Records(time.Time{})
			if len(recs) != 1 || recs[0].CostMicros != tt.cost || recs[0].Status != tt.status || recs[0].Key != "k1" {
				t.Errorf("records = %+v", recs)
			}
		})
	}
}

func TestNotAdmittedNotAccounted(t *testing.T) {
	stage, _, snap := setup(t)
	x := &pipeline.Exchange{Config: snap, Status: 200}
	_ = stage.OnResponseHeaders(context.Background(), x)
	if _, err := stage.OnResponseBody(context.Background(), x, nil, true); err != nil {
		t.Fatal(err)
	}
	x.End(context.Background())
	if recs, _ := stage.Usage().Records(time.Time{}); len(recs) != 0 || x.Out.Metadata != nil {
		t.Errorf("a request that was never admitted was accounted: %v %v", recs, x.Out.Metadata)
	}
}

// A fallback chain's response is priced at the member that served it.
func TestChainPricedAtServingMember(t *testing.T) {
	stage, _, snap := setup(t)
	x := routed(snap, &ticket{})
	x.Chain, x.Plan = "oa", pipeline.Plan{Fallback: []pipeline.Target{{Model: "claude"}}}
	x.Status, x.RespHeader = 200, pipeline.Headers{{Key: "x-sluice-upstream-backend", Value: "anthropic"}}
	_ = stage.OnResponseHeaders(context.Background(), x)
	x.Usage = translate.Usage{InputTokens: 1000, OutputTokens: 1000}
	if _, err := stage.OnResponseBody(context.Background(), x, nil, true); err != nil {
		t.Fatal(err)
	}
	// claude-sonnet-4-5: $3 and $15 per 1M tokens.
	if m := metadataMap(x.Out.Metadata); m["model"] != "claude" || m["backend"] != "anthropic" || m["cost_micros"] != "18000" {
		t.Errorf("metadata = %v", m)
	}
}

// A stream cut before the provider reported usage is charged for the
// output the client received, counted with the model's tokenizer, and a
// complete reply without usage for its content.
func TestOutputCountedWithoutUsage(t *testing.T) {
	openaiStream := "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\n" +
		"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hello\"}}]}\n\n" +
		"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\" world\"}}]}\n\n" +
		"data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{\\\"a\\\":1}\"}}]}}]}\n\n" +
		"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\" and mo"
	anthropicStream := "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hello world\"}}\n\n" +
		"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"a\\\":1}\"}}\n\n"
	tests := []struct {
		name      string
		api       pipeline.API
		streaming bool
		cut       bool // the client went away; otherwise the body ends without usage
		input     int64
		body      string
		ticket    string
	}{
		// "Hello world" is 2 tokens and {"a":1} is 5 with o200k.
		{name: "openai stream cut", api: pipeline.APIChat, streaming: true, cut: true, body: openaiStream, ticket: "settle 100 7"},
		{name: "openai stream ends without usage", api: pipeline.APIChat, streaming: true, body: openaiStream, ticket: "settle 100 7"},
		{name: "anthropic stream cut, input reported", api: pipeline.APIMessages, streaming: true, cut: true, input: 42, body: anthropicStream, ticket: "settle 42 7"},
		{name: "reply without usage", api: pipeline.APIChat,
			body:   `{"choices":[{"index":0,"message":{"role":"assistant","content":"Hello world","tool_calls":[{"function":{"arguments":"{\"a\":1}"}}]}}]}`,
			ticket: "settle 100 7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stage, _, snap := setup(t)
			tk := &ticket{}
			x := routed(snap, tk)
			x.API, x.Status, x.Streaming = tt.api, 200, tt.streaming
			x.Usage.InputTokens = tt.input
			ctx := context.Background()
			_ = stage.OnResponseHeaders(ctx, x)
			body := []byte(tt.body)
			if tt.streaming {
				// Envoy's chunks split events anywhere.
				for len(body) > 7 {
					if _, err := stage.OnResponseBody(ctx, x, body[:7], false); err != nil {
						t.Fatal(err)
					}
					body = body[7:]
				}
			}
			if !tt.cut {
				if _, err := stage.OnResponseBody(ctx, x, body, true); err != nil {
					t.Fatal(err)
				}
			} else if _, err := stage.OnResponseBody(ctx, x, body, false); err != nil {
				t.Fatal(err)
			}
			x.End(ctx)
			if d := cmp.Diff([]string{tt.ticket}, tk.calls); d != "" {
				t.Errorf("ticket (-want +got):\n%s", d)
			}
			recs, _ := stage.Usage().Records(time.Time{})
			if len(recs) != 1 || !recs[0].Tokens.Estimated {
				t.Errorf("records = %+v, want one estimated record", recs)
			}
		})
	}
}

// metadataMap is the dynamic metadata set in a phase, by key.
func metadataMap(hs []pipeline.Header) map[string]string {
	if hs == nil {
		return nil
	}
	m := map[string]string{}
	for _, h := range hs {
		m[h.Key] = h.Value
	}
	return m
}

// deadlineTicket records whether settling it was given a deadline.
type deadlineTicket struct{ deadline []bool }

func (t *deadlineTicket) Settle(ctx context.Context, _, _ int64) error {
	_, ok := ctx.Deadline()
	t.deadline = append(t.deadline, ok)
	return nil
}

func (t *deadlineTicket) Release(ctx context.Context) error { return t.Settle(ctx, 0, 0) }

// TestSettleDeadlineFollowsTheTicket settles tickets held in memory and
// elsewhere on a state that is in memory now: only where the ticket is
// decides whether settling it needs a deadline, as after a reload that
// moved limits between admission and the end of the call.
func TestSettleDeadlineFollowsTheTicket(t *testing.T) {
	for _, local := range []bool{true, false} {
		stage, st, snap := setup(t)
		if !st.InMemory() {
			t.Fatal("the test state is not in memory")
		}
		tk := &deadlineTicket{}
		x := routed(snap, nil)
		x.Admission.Ticket, x.Admission.LocalTicket = tk, local
		x.Status, x.Usage = 200, translate.Usage{InputTokens: 10, OutputTokens: 5}
		ctx := context.Background()
		if err := stage.OnResponseHeaders(ctx, x); err != nil {
			t.Fatal(err)
		}
		if _, err := stage.OnResponseBody(ctx, x, nil, true); err != nil {
			t.Fatal(err)
		}
		if len(tk.deadline) != 1 || tk.deadline[0] == local {
			t.Errorf("ticket held locally=%v: settled with deadline %v, want one settle with deadline %v", local, tk.deadline, !local)
		}
	}
}
