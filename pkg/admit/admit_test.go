package admit_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sluice-gw/sluice/pkg/admit"
	"github.com/sluice-gw/sluice/pkg/budget"
	"github.com/sluice-gw/sluice/pkg/config"
	"github.com/sluice-gw/sluice/pkg/gwerror"
	"github.com/sluice-gw/sluice/pkg/identity"
	"github.com/sluice-gw/sluice/pkg/limits"
	"github.com/sluice-gw/sluice/pkg/pipeline"
	"github.com/sluice-gw/sluice/pkg/policy"
	"github.com/sluice-gw/sluice/pkg/translate"
)

const base = `
backends:
  - {name: openai, provider: openai, credential: {env: K}}
  - {name: local, provider: openai_compatible}
models:
  - {name: gpt-4o, aliases: [gpt4o], backend: openai}
  - {name: small, backend: local, upstream_model: llama-3.1-8b}
tenants: [{name: acme, teams: [{name: search}]}]
`

const limitsCfg = base + `
limits:
  default_output_tokens: 100
  rules:
    - {name: per-key, scope: key, requests_per_minute: 2}
    - {name: per-tenant, scope: tenant, tokens_per_minute: 1000}
    - {name: gold-tenant, scope: tenant, class: gold, tokens_per_minute: 100000}
    - {name: one-at-a-time, scope: user, concurrent: 1}
`

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func snapshot(t *testing.T, src string) *config.Snapshot {
	t.Helper()
	snap, err := config.Parse("test.yaml", []byte(src), config.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

func caller() *identity.Identity {
	return &identity.Identity{Authenticated: true, Source: identity.SourceAPIKey, Tenant: "acme", Team: "search",
		Key: &identity.KeyInfo{ID: "k1"}}
}

// exchange is a parsed chat call, as the stages before admit leave it.
func exchange(snap *config.Snapshot, id *identity.Identity, maxTokens int) *pipeline.Exchange {
	return &pipeline.Exchange{
		Config: snap, API: pipeline.APIChat, Model: "gpt-4o", Identity: id, RequestID: "r",
		Request:  translate.Request{Body: []byte(`{"model":"gpt-4o","messages":[{"role":"user","content":"hello there"}]}`)},
		Summary:  pipeline.Summary{MaxTokens: maxTokens},
		Decision: &policy.Decision{Allow: true},
	}
}

// fixed is an Estimator with a known answer.
type fixed int64

func (f fixed) InputTokens(*pipeline.Exchange, string) int64 { return int64(f) }

func newStage(t *testing.T, snap *config.Snapshot) (*admit.State, *admit.Budgets, *admit.Stage) {
	t.Helper()
	st := admit.NewState(quiet)
	if err := st.Reload(context.Background(), snap); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close(context.Background()) })
	return st, admit.NewBudgets(st), admit.New(st, fixed(50), quiet)
}

func header(x *pipeline.Exchange, k string) string {
	for _, h := range x.ClientHeaders {
		if h.Key == k {
			return h.Value
		}
	}
	return ""
}

func code(err error) gwerror.Code {
	var e *gwerror.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

func TestRules(t *testing.T) {
	snap := snapshot(t, limitsCfg)
	tests := []struct {
		name  string
		id    *identity.Identity
		class string
		want  []string
	}{
		{"key and tenant", caller(), "", []string{"per-key/key:k1", "per-tenant/tenant:acme"}},
		{"a class replaces the class-less rule of its scope", caller(), "gold", []string{"per-key/key:k1", "gold-tenant/tenant:acme"}},
		{"an unknown class changes nothing", caller(), "silver", []string{"per-key/key:k1", "per-tenant/tenant:acme"}},
		{"a caller without a key skips key rules", &identity.Identity{Tenant: "acme", User: "ann"}, "",
			[]string{"per-tenant/tenant:acme", "one-at-a-time/user:ann"}},
		{"anonymous", &identity.Identity{Source: identity.SourceAnonymous}, "", []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := exchange(snap, tt.id, 0)
			x.Decision.LimitClass = tt.class
			got := []string{}
			for _, r := range admit.Rules(x, admit.ServedBy(x)) {
				got = append(got, r.Scope)
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("scopes (-want +got):\n%s", d)
			}
		})
	}
}

func TestServedByAndScopes(t *testing.T) {
	snap := snapshot(t, base+`
limits:
  rules:
    - {name: m, scope: model, requests_per_minute: 5}
    - {name: b, scope: backend, requests_per_minute: 5}
    - {name: t, scope: team, requests_per_minute: 5}
    - {name: g, scope: global, requests_per_minute: 5}
`)
	x := exchange(snap, caller(), 0)
	x.Model, x.Plan = "gpt4o", pipeline.Plan{Model: "small"}
	if got, want := admit.ServedBy(x), (admit.Served{Model: "small", Upstream: "llama-3.1-8b", Backend: "local"}); got != want {
		t.Errorf("served = %+v, want %+v", got, want)
	}
	var got []string
	for _, r := range admit.Rules(x, admit.ServedBy(x)) {
		got = append(got, r.Scope)
	}
	if d := cmp.Diff([]string{"m/model:small", "b/backend:local", "t/team:acme/search", "g/global:*"}, got); d != "" {
		t.Errorf("scopes (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]budget.Scope{{Kind: budget.Tenant, ID: "acme"}, {Kind: budget.Team, ID: "acme/search"},
		{Kind: budget.Key, ID: "k1"}}, admit.BudgetScopes(nil, caller())); d != "" {
		t.Errorf("budget scopes (-want +got):\n%s", d)
	}
}

func TestAdmission(t *testing.T) {
	type step struct {
		maxTokens int
		class     string
		code      gwerror.Code
		headers   map[string]string // headers the answer must carry
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"allowed calls carry the rate-limit headers", []step{{
			headers: map[string]string{"x-ratelimit-limit-requests": "2", "x-ratelimit-remaining-requests": "1",
				"x-ratelimit-limit-tokens": "1000", "x-ratelimit-remaining-tokens": "850"},
		}}},
		{"over the request rate", []step{{}, {}, {
			code: gwerror.RateLimited,
			// One of two requests drains in 30s; retry-after-ms is
			// rounded up, so a moment passing leaves the seconds at 30.
			headers: map[string]string{"retry-after": "30",
				"x-ratelimit-remaining-requests": "0", "x-ratelimit-limit-requests": "2"},
		}}},
		{"too large to ever pass", []step{{
			maxTokens: 5000, code: gwerror.RateLimited,
			headers: map[string]string{"x-should-retry": "false", "x-ratelimit-limit-tokens": "1000"},
		}}},
		{"a gold caller has the gold limit", []step{{
			maxTokens: 5000, class: "gold", headers: map[string]string{"x-ratelimit-limit-tokens": "100000"},
		}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			snap := snapshot(t, limitsCfg)
			_, _, stage := newStage(t, snap)
			for i, s := range tt.steps {
				x := exchange(snap, caller(), s.maxTokens)
				x.Decision.LimitClass = s.class
				err := stage.OnRequest(context.Background(), x)
				if got := code(err); got != s.code {
					t.Fatalf("step %d: code %q, want %q (%v)", i, got, s.code, err)
				}
				got := map[string]string{}
				if err != nil {
					got = gwerror.From(err).Headers
				} else {
					for _, h := range x.ClientHeaders {
						got[h.Key] = h.Value
					}
				}
				for k, v := range s.headers {
					if got[k] != v {
						t.Errorf("step %d: %s = %q, want %q (all: %v)", i, k, got[k], v, got)
					}
				}
			}
		})
	}
}

func TestEstimateCharged(t *testing.T) {
	snap := snapshot(t, limitsCfg)
	_, _, stage := newStage(t, snap)
	x := exchange(snap, caller(), 0)
	x.Summary.Parameters = map[string]any{"n": float64(2)}
	if err := stage.OnRequest(context.Background(), x); err != nil {
		t.Fatal(err)
	}
	// 50 from the estimator; no max_tokens, so twice the default of 100.
	if e := x.Admission.Estimate; e.InputTokens != 50 || e.OutputTokens != 200 || !e.Estimated {
		t.Errorf("estimate = %+v", e)
	}
	if x.Admission.Ticket == limits.NoTicket || !x.Admission.LocalTicket {
		t.Errorf("a ticket from the in-memory limiter: %+v", x.Admission)
	}
	tenant, _ := x.Out.MetadataValue("tenant")
	key, _ := x.Out.MetadataValue("key")
	if tenant != "acme" || key != "k1" {
		t.Errorf("caller metadata = %v", x.Out.Metadata)
	}
}

func TestNoRulesNoLimits(t *testing.T) {
	snap := snapshot(t, base)
	_, budgets, stage := newStage(t, snap)
	for range 100 {
		x := exchange(snap, caller(), 100_000)
		if err := budgets.OnRequest(context.Background(), x); err != nil || x.Budget != nil {
			t.Fatalf("budgets: %v, %+v", err, x.Budget)
		}
		if err := stage.OnRequest(context.Background(), x); err != nil {
			t.Fatal(err)
		}
		if len(x.ClientHeaders) != 0 || x.Admission == nil || x.Admission.Ticket != limits.NoTicket {
			t.Fatalf("headers %v, admission %+v", x.ClientHeaders, x.Admission)
		}
		x.End(context.Background())
	}
	models := &pipeline.Exchange{Config: snap, API: pipeline.APIModels}
	if err := stage.OnRequest(context.Background(), models); err != nil || models.Admission != nil {
		t.Errorf("GET /v1/models was admitted: %v", err)
	}
}

// A concurrency slot is held until the exchange ends, however it ends.
func TestSlotReleasedAtEnd(t *testing.T) {
	snap := snapshot(t, limitsCfg)
	_, _, stage := newStage(t, snap)
	ann := func() *identity.Identity { return &identity.Identity{User: "ann"} }
	first := exchange(snap, ann(), 0)
	if err := stage.OnRequest(context.Background(), first); err != nil {
		t.Fatal(err)
	}
	second := exchange(snap, ann(), 0)
	err := stage.OnRequest(context.Background(), second)
	if code(err) != gwerror.RateLimited || !strings.Contains(err.Error(), "in flight") {
		t.Fatalf("second call in flight: %v", err)
	}
	first.End(context.Background())
	if err := stage.OnRequest(context.Background(), exchange(snap, ann(), 0)); err != nil {
		t.Errorf("after the first ended: %v", err)
	}
}
