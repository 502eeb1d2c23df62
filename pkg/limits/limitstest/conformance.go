package limitstest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sluice-gw/sluice/pkg/limits"
)

// Factory returns a limiter with empty state that reads time from now.
// Each call must return state no other call shares.
type Factory func(t *testing.T, now func() time.Time) limits.Limiter

// RunConformance runs the behaviour every limits.Limiter must have, so the
// in-memory and Redis backends are held to one standard.
func RunConformance(t *testing.T, f Factory) {
	t.Run("Windows", func(t *testing.T) { testWindows(t, f) })
	t.Run("Layered", func(t *testing.T) { testLayered(t, f) })
	t.Run("Concurrency", func(t *testing.T) { testConcurrency(t, f) })
	t.Run("Headers", func(t *testing.T) { testHeaders(t, f) })
	t.Run("Validation", func(t *testing.T) { testValidation(t, f) })
	t.Run("DebtBurst", func(t *testing.T) { testDebtBurst(t, f) })
	t.Run("DebtSequential", func(t *testing.T) { testDebtSequential(t, f) })
}

// op is one step of a windows case: move the clock, then admit (times
// times, default once), or settle or release the last admitted ticket.
type op struct {
	advance time.Duration
	times   int
	in, out int64
	settle  []int64 // {input, output}: settle the last ticket instead of admitting
	release bool    // release the last ticket instead of admitting
	want    outcome
}

// outcome is what an admission must return. dim names the quota checked;
// Remaining and Reset are checked on it.
type outcome struct {
	allowed   bool
	dim       limits.Dimension
	remaining int64
	reset     time.Duration
	retry     time.Duration
	tooLarge  bool
}

func testWindows(t *testing.T, f Factory) {
	tpm := limits.Rule{Scope: "tenant:t", TokensPerMinute: 1000}
	cases := []struct {
		name string
		rule limits.Rule
		ops  []op
	}{
		{"requests refill continuously", limits.Rule{Scope: "key:k", RequestsPerMinute: 60}, []op{
			{times: 60, want: outcome{allowed: true, remaining: 0, reset: time.Minute}},
			{want: outcome{retry: time.Second, reset: time.Minute}},
			{advance: time.Second, want: outcome{allowed: true, reset: time.Minute}},
			{advance: 30 * time.Second, want: outcome{allowed: true, remaining: 29, reset: 31 * time.Second}},
		}},
		{"tokens charge the estimate", limits.Rule{Scope: "tenant:t", TokensPerMinute: 10000}, []op{
			{in: 3000, out: 1000, want: outcome{allowed: true, dim: limits.Tokens, remaining: 6000, reset: 24 * time.Second}},
			{in: 6000, want: outcome{allowed: true, dim: limits.Tokens, remaining: 0, reset: time.Minute}},
			{in: 1, want: outcome{dim: limits.Tokens, reset: time.Minute, retry: 6 * time.Millisecond}},
			{advance: 30 * time.Second, in: 5000, want: outcome{allowed: true, dim: limits.Tokens, reset: time.Minute}},
		}},
		{"a request larger than the limit never passes", tpm, []op{
			{in: 1001, want: outcome{dim: limits.Tokens, remaining: 1000, tooLarge: true}},
			{in: 1000, want: outcome{allowed: true, dim: limits.Tokens, reset: time.Minute}},
		}},
		{"input and output limited apart", limits.Rule{Scope: "key:io", InputTokensPerMinute: 1000, OutputTokensPerMinute: 500}, []op{
			{in: 900, out: 100, want: outcome{allowed: true, dim: limits.OutputTokens, remaining: 400, reset: 12 * time.Second}},
			{in: 50, out: 450, want: outcome{dim: limits.OutputTokens, remaining: 400, reset: 12 * time.Second, retry: 6 * time.Second}},
			{in: 100, out: 400, want: outcome{allowed: true, dim: limits.InputTokens, remaining: 0, reset: time.Minute}},
		}},
		{"under-estimate becomes debt that blocks until drained", tpm, []op{
			{in: 100, want: outcome{allowed: true, dim: limits.Tokens, remaining: 900, reset: 6 * time.Second}},
			{settle: []int64{1200, 500}},
			{in: 1, want: outcome{dim: limits.Tokens, reset: 102 * time.Second, retry: 42060 * time.Millisecond}},
			{advance: 42 * time.Second, in: 1, want: outcome{dim: limits.Tokens, reset: time.Minute, retry: 60 * time.Millisecond}},
			{advance: 60 * time.Millisecond, in: 1, want: outcome{allowed: true, dim: limits.Tokens, reset: time.Minute}},
		}},
		{"over-estimate is refunded", tpm, []op{
			{in: 500, out: 400, want: outcome{allowed: true, dim: limits.Tokens, remaining: 100, reset: 54 * time.Second}},
			{settle: []int64{60, 40}},
			{in: 900, want: outcome{allowed: true, dim: limits.Tokens, remaining: 0, reset: time.Minute}},
		}},
		{"a refund never credits more than a full bucket", tpm, []op{
			{in: 600, want: outcome{allowed: true, dim: limits.Tokens, remaining: 400, reset: 36 * time.Second}},
			{advance: 90 * time.Second, settle: []int64{0, 0}},
			{in: 1000, want: outcome{allowed: true, dim: limits.Tokens, reset: time.Minute}},
			{in: 1, want: outcome{dim: limits.Tokens, reset: time.Minute, retry: 60 * time.Millisecond}},
		}},
		{"a late correction lands on the current level", tpm, []op{
			{in: 500, want: outcome{allowed: true, dim: limits.Tokens, remaining: 500, reset: 30 * time.Second}},
			{advance: 90 * time.Second, settle: []int64{1500, 0}},
			{in: 1, want: outcome{dim: limits.Tokens, reset: time.Minute, retry: 60 * time.Millisecond}},
		}},
		{"release keeps the estimate as the charge", tpm, []op{
			{in: 700, want: outcome{allowed: true, dim: limits.Tokens, remaining: 300, reset: 42 * time.Second}},
			{release: true},
			{in: 301, want: outcome{dim: limits.Tokens, remaining: 300, reset: 42 * time.Second, retry: 60 * time.Millisecond}},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clock := NewClock()
			lim := f(t, clock.Now)
			var last limits.Ticket
			for i, o := range tc.ops {
				clock.Advance(o.advance)
				switch {
				case o.settle != nil:
					mustNil(t, i, last.Settle(context.Background(), o.settle[0], o.settle[1]))
					continue
				case o.release:
					mustNil(t, i, last.Release(context.Background()))
					continue
				}
				for n := max(o.times, 1); n > 0; n-- {
					req := limits.Request{Rules: []limits.Rule{tc.rule}, InputTokens: o.in, OutputTokens: o.out}
					tk, res, err := lim.Admit(context.Background(), req)
					mustNil(t, i, err)
					if res.Allowed {
						last = tk
					}
					if n == 1 || !res.Allowed {
						checkOutcome(t, i, res, o.want)
						break
					}
				}
			}
		})
	}
}

func checkOutcome(t *testing.T, i int, res limits.Result, w outcome) {
	t.Helper()
	q := res.Quota(w.dim)
	if res.Allowed != w.allowed || q.Remaining != w.remaining || q.Reset != w.reset ||
		res.RetryAfter != w.retry || res.Denial.TooLarge != w.tooLarge {
		t.Errorf("op %d: allowed=%v %s remaining=%d reset=%s retry=%s tooLarge=%v; want allowed=%v remaining=%d reset=%s retry=%s tooLarge=%v",
			i, res.Allowed, w.dim, q.Remaining, q.Reset, res.RetryAfter, res.Denial.TooLarge,
			w.allowed, w.remaining, w.reset, w.retry, w.tooLarge)
	}
	if res.Allowed && (res.Denial != limits.Denial{}) {
		t.Errorf("op %d: allowed with a denial %+v", i, res.Denial)
	}
}

func mustNil(t *testing.T, i int, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("op %d: %v", i, err)
	}
}

func testValidation(t *testing.T, f Factory) {
	lim := f(t, NewClock().Now)
	bad := []limits.Request{
		{Rules: []limits.Rule{{RequestsPerMinute: 1}}},
		{Rules: []limits.Rule{{Scope: "a", TokensPerMinute: -1}}},
		{Rules: []limits.Rule{{Scope: "a"}, {Scope: "a"}}},
		{Rules: []limits.Rule{{Scope: "a"}}, InputTokens: -1},
	}
	for i, req := range bad {
		if _, _, err := lim.Admit(context.Background(), req); !errors.Is(err, limits.ErrInvalid) {
			t.Errorf("request %d: err = %v, want ErrInvalid", i, err)
		}
	}
	tk, res, err := lim.Admit(context.Background(), limits.Request{InputTokens: 5})
	if err != nil || !res.Allowed || tk == nil {
		t.Errorf("no rules: allowed=%v err=%v ticket=%v, want allowed", res.Allowed, err, tk)
	}
	tk, _, err = lim.Admit(context.Background(), limits.Request{Rules: []limits.Rule{{Scope: "v", TokensPerMinute: 10}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := tk.Settle(context.Background(), -1, 0); !errors.Is(err, limits.ErrInvalid) {
		t.Errorf("negative usage: err = %v, want ErrInvalid", err)
	}
}
