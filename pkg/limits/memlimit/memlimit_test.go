package memlimit_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/sluice-gw/sluice/pkg/limits"
	"github.com/sluice-gw/sluice/pkg/limits/limitstest"
	"github.com/sluice-gw/sluice/pkg/limits/memlimit"
)

func TestConformance(t *testing.T) {
	limitstest.RunConformance(t, func(_ *testing.T, now func() time.Time) limits.Limiter {
		return memlimit.New(memlimit.Options{Now: now, Shards: 4})
	})
}

func TestManyRulesLockEveryShard(t *testing.T) {
	lim := memlimit.New(memlimit.Options{Now: limitstest.NewClock().Now, Shards: 2})
	rules := make([]limits.Rule, 12)
	for i := range rules {
		rules[i] = limits.Rule{Scope: fmt.Sprintf("s%d", i), RequestsPerMinute: 1}
	}
	for i, want := range []bool{true, false} {
		_, res, err := lim.Admit(context.Background(), limits.Request{Rules: rules})
		if err != nil || res.Allowed != want {
			t.Fatalf("admission %d: allowed=%v err=%v, want %v", i, res.Allowed, err, want)
		}
	}
}

func TestIdleScopesAreForgotten(t *testing.T) {
	clock := limitstest.NewClock()
	lim := memlimit.New(memlimit.Options{Now: clock.Now, Shards: 1})
	ctx := context.Background()
	held, _, err := lim.Admit(ctx, limits.Request{Rules: []limits.Rule{{Scope: "held", MaxConcurrent: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 500 {
		rule := limits.Rule{Scope: fmt.Sprintf("key:%d", i), TokensPerMinute: 1000}
		if _, _, err := lim.Admit(ctx, limits.Request{Rules: []limits.Rule{rule}, InputTokens: 10}); err != nil {
			t.Fatal(err)
		}
	}
	clock.Advance(time.Minute)
	for range 2000 {
		if _, _, err := lim.Admit(ctx, limits.Request{Rules: []limits.Rule{{Scope: "busy", RequestsPerMinute: 1 << 40}}}); err != nil {
			t.Fatal(err)
		}
	}
	if n := lim.Len(); n != 2 {
		t.Errorf("%d scopes held after every bucket drained, want 2 (busy, and held with its slot)", n)
	}
	if err := held.Release(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestAdmitLatency reports p50 and p99 of one admission with three layered
// rules, and of its settlement, and holds the admission's p99 to 20µs when
// the race detector is off.
func TestAdmitLatency(t *testing.T) {
	lim := memlimit.New(memlimit.Options{})
	ctx := context.Background()
	reqs := limitstest.LayeredRequests()
	const n = 50000
	tickets := make([]limits.Ticket, 0, n)
	admit, err := limitstest.MeasureLatency(n, func() error {
		tk, _, err := lim.Admit(ctx, reqs[len(tickets)%len(reqs)])
		tickets = append(tickets, tk)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	i := 0
	settle, err := limitstest.MeasureLatency(n, func() error {
		i++
		return tickets[i-1].Settle(ctx, 120, 80)
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("admit, 3 rules: p50 %s, p99 %s, max %s; settle: p50 %s, p99 %s (n=%d)",
		admit.P50, admit.P99, admit.Max, settle.P50, settle.P99, n)
	if !raceEnabled && !testing.Short() && admit.P99 > 20*time.Microsecond {
		t.Errorf("admission p99 %s, want at most 20µs", admit.P99)
	}
}
