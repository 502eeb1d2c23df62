package limitstest

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sluice-gw/sluice/pkg/limits"
)

// layeredStep admits one request carrying several rules.
type layeredStep struct {
	rules   []limits.Rule
	in      int64
	allowed bool
	scope   string           // the denial's scope, when refused
	dim     limits.Dimension // the denial's dimension, when refused
	retry   time.Duration    // checked when non-zero
}

// probe admits a request carrying one rule alone, with no tokens, and
// checks what remains of dim after it.
type probe struct {
	rule      limits.Rule
	dim       limits.Dimension
	remaining int64
}

func testLayered(t *testing.T, f Factory) {
	key := limits.Rule{Scope: "key:k1", RequestsPerMinute: 2, TokensPerMinute: 5000}
	key2 := limits.Rule{Scope: "key:k2", RequestsPerMinute: 2, TokensPerMinute: 5000}
	team := limits.Rule{Scope: "team:t1", RequestsPerMinute: 3}
	tenant := limits.Rule{Scope: "tenant:acme", RequestsPerMinute: 100, TokensPerMinute: 1000}
	a := limits.Rule{Scope: "model:a", RequestsPerMinute: 1}
	b := limits.Rule{Scope: "backend:b", TokensPerMinute: 2000}
	cases := []struct {
		name   string
		steps  []layeredStep
		probes []probe
	}{
		{"the innermost rule refuses and nothing is charged", []layeredStep{
			{rules: []limits.Rule{key, team, tenant}, in: 100, allowed: true},
			{rules: []limits.Rule{key, team, tenant}, in: 100, allowed: true},
			{rules: []limits.Rule{key, team, tenant}, in: 100, scope: "key:k1", dim: limits.Requests, retry: 30 * time.Second},
		}, []probe{
			{tenant, limits.Requests, 97},
			{tenant, limits.Tokens, 800},
			{team, limits.Requests, 0},
		}},
		{"the outermost rule refuses and nothing is charged", []layeredStep{
			{rules: []limits.Rule{key, tenant}, in: 600, allowed: true},
			{rules: []limits.Rule{key, tenant}, in: 500, scope: "tenant:acme", dim: limits.Tokens, retry: 6 * time.Second},
		}, []probe{
			{key, limits.Tokens, 4400},
			{key, limits.Requests, 0},
		}},
		{"sibling keys share their tenant", []layeredStep{
			{rules: []limits.Rule{key, tenant}, in: 600, allowed: true},
			{rules: []limits.Rule{key2, tenant}, in: 600, scope: "tenant:acme", dim: limits.Tokens},
		}, []probe{
			{key2, limits.Requests, 1},
			{key2, limits.Tokens, 5000},
		}},
		{"the denial names the rule with the longest wait", []layeredStep{
			{rules: []limits.Rule{b, a}, in: 2000, allowed: true},
			{rules: []limits.Rule{b, a}, in: 500, scope: "model:a", dim: limits.Requests, retry: time.Minute},
		}, nil},
		{"a request too large for one rule names that rule", []layeredStep{
			{rules: []limits.Rule{a, b}, in: 10, allowed: true},
			{rules: []limits.Rule{a, b}, in: 2001, scope: "backend:b", dim: limits.Tokens},
		}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			lim := f(t, NewClock().Now)
			for i, s := range tc.steps {
				_, res, err := lim.Admit(context.Background(), limits.Request{Rules: s.rules, InputTokens: s.in})
				mustNil(t, i, err)
				if res.Allowed != s.allowed {
					t.Fatalf("step %d: allowed = %v, want %v (denial %+v)", i, res.Allowed, s.allowed, res.Denial)
				}
				if !s.allowed && (res.Denial.Scope != s.scope || res.Denial.Dimension != s.dim) {
					t.Errorf("step %d: denied by %s %s, want %s %s", i, res.Denial.Scope, res.Denial.Dimension, s.scope, s.dim)
				}
				if s.retry != 0 && res.RetryAfter != s.retry {
					t.Errorf("step %d: retry after %s, want %s", i, res.RetryAfter, s.retry)
				}
			}
			for i, p := range tc.probes {
				_, res, err := lim.Admit(context.Background(), limits.Request{Rules: []limits.Rule{p.rule}})
				mustNil(t, i, err)
				if got := res.Quota(p.dim).Remaining; got != p.remaining {
					t.Errorf("probe %d (%s %s): remaining %d, want %d", i, p.rule.Scope, p.dim, got, p.remaining)
				}
			}
		})
	}
}

func testConcurrency(t *testing.T, f Factory) {
	ctx := context.Background()
	lim := f(t, NewClock().Now)
	key := limits.Rule{Scope: "key:c", MaxConcurrent: 2}
	tenant := limits.Rule{Scope: "tenant:c", MaxConcurrent: 10}
	admit := func(step string, want bool) limits.Ticket {
		t.Helper()
		tk, res, err := lim.Admit(ctx, limits.Request{Rules: []limits.Rule{key, tenant}, InputTokens: 5})
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		if res.Allowed != want {
			t.Fatalf("%s: allowed = %v, want %v", step, res.Allowed, want)
		}
		if !want && (res.Denial.Dimension != limits.Concurrent || res.RetryAfter != limits.ConcurrencyRetryAfter) {
			t.Errorf("%s: denial %+v after %s, want concurrent_requests after %s", step, res.Denial, res.RetryAfter, limits.ConcurrencyRetryAfter)
		}
		return tk
	}
	t1, t2 := admit("first", true), admit("second", true)
	refused := admit("third", false)
	if err := refused.Release(ctx); err != nil {
		t.Fatalf("releasing a refused ticket: %v", err)
	}
	mustNil(t, 1, t1.Release(ctx))
	admit("after a release", true)
	mustNil(t, 2, t2.Settle(ctx, 7, 3))
	admit("after a settle", true)
	mustNil(t, 3, t1.Release(ctx))
	mustNil(t, 4, t2.Settle(ctx, 7, 3))
	admit("after releasing twice", false)

	_, res, err := lim.Admit(ctx, limits.Request{Rules: []limits.Rule{tenant}})
	mustNil(t, 5, err)
	if got := res.Concurrent.Remaining; got != 7 {
		t.Errorf("tenant slots left = %d, want 7: refused requests must not hold slots", got)
	}
}

func testHeaders(t *testing.T, f Factory) {
	lim := f(t, NewClock().Now)
	rule := limits.Rule{Scope: "key:h", RequestsPerMinute: 60, TokensPerMinute: 150000}
	_, res, err := lim.Admit(context.Background(), limits.Request{Rules: []limits.Rule{rule}, InputTokens: 10, OutputTokens: 6})
	mustNil(t, 0, err)
	want := map[string]string{
		"x-ratelimit-limit-requests":     "60",
		"x-ratelimit-remaining-requests": "59",
		"x-ratelimit-reset-requests":     "1s",
		"x-ratelimit-limit-tokens":       "150000",
		"x-ratelimit-remaining-tokens":   "149984",
		"x-ratelimit-reset-tokens":       "7ms",
	}
	if diff := cmp.Diff(want, res.Headers()); diff != "" {
		t.Errorf("admitted headers (-want +got):\n%s", diff)
	}

	one := limits.Rule{Scope: "key:h1", RequestsPerMinute: 1}
	for range 2 {
		_, res, err = lim.Admit(context.Background(), limits.Request{Rules: []limits.Rule{one}})
		mustNil(t, 1, err)
	}
	want = map[string]string{
		"x-ratelimit-limit-requests":     "1",
		"x-ratelimit-remaining-requests": "0",
		"x-ratelimit-reset-requests":     "1m0s",
		"retry-after":                    "60",
		"retry-after-ms":                 "60000",
	}
	if diff := cmp.Diff(want, res.Headers()); diff != "" {
		t.Errorf("refused headers (-want +got):\n%s", diff)
	}
}
