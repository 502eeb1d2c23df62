package redislimit_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/sluice-gw/sluice/pkg/limits"
	"github.com/sluice-gw/sluice/pkg/limits/limitstest"
	"github.com/sluice-gw/sluice/pkg/limits/redislimit"
	"github.com/sluice-gw/sluice/pkg/redistest"
)

// layeredRequests are 1000 keys in 10 teams in one tenant, each request
// carrying all three rules.
func layeredRequests() []limits.Request {
	reqs := make([]limits.Request, 1000)
	for key := range reqs {
		reqs[key] = limits.Request{
			Rules: []limits.Rule{
				{Scope: fmt.Sprintf("key:%d", key), RequestsPerMinute: 1 << 30, TokensPerMinute: 1 << 40, MaxConcurrent: 1 << 20},
				{Scope: fmt.Sprintf("team:%d", key%10), RequestsPerMinute: 1 << 30, TokensPerMinute: 1 << 40},
				{Scope: "tenant:acme", RequestsPerMinute: 1 << 30, InputTokensPerMinute: 1 << 40, OutputTokensPerMinute: 1 << 40},
			},
			InputTokens:  100,
			OutputTokens: 100,
		}
	}
	return reqs
}

// TestAdmitLatency reports p50 and p99 of one admission (one round trip to
// a local redis-server) with three layered rules. It asserts nothing about
// time: the network and the server dominate.
func TestAdmitLatency(t *testing.T) {
	if testing.Short() {
		t.Skip("latency report")
	}
	ctx := context.Background()
	lim := newLimiter(t, redistest.StartRedis(t).Client(t), redislimit.Options{})
	reqs := layeredRequests()
	tickets := make([]limits.Ticket, 0, 5000)
	i := 0
	admit, err := limitstest.MeasureLatency(5000, func() error {
		i++
		tk, _, err := lim.Admit(ctx, reqs[i%len(reqs)])
		tickets = append(tickets, tk)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	i = 0
	settle, err := limitstest.MeasureLatency(len(tickets), func() error {
		i++
		return tickets[i-1].Settle(ctx, 120, 80)
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("redis admit, 3 rules: p50 %s, p99 %s; settle: p50 %s, p99 %s", admit.P50, admit.P99, settle.P50, settle.P99)
}

// BenchmarkAdmitSettle times an admission and its settlement, two round
// trips, and reports the p50 and p99 of single pairs.
func BenchmarkAdmitSettle(b *testing.B) {
	ctx := context.Background()
	lim := newLimiter(b, redistest.StartRedis(b).Client(b), redislimit.Options{})
	reqs := layeredRequests()
	lat := make([]time.Duration, 0, b.N)
	i := 0
	for b.Loop() {
		i++
		start := time.Now()
		tk, _, err := lim.Admit(ctx, reqs[i%len(reqs)])
		if err != nil {
			b.Fatal(err)
		}
		if err := tk.Settle(ctx, 120, 80); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	p := limitstest.Percentiles(lat)
	b.ReportMetric(float64(p.P50.Nanoseconds()), "p50-ns")
	b.ReportMetric(float64(p.P99.Nanoseconds()), "p99-ns")
}

// BenchmarkAdmitParallel runs admissions from many goroutines over one
// client, as a busy replica does.
func BenchmarkAdmitParallel(b *testing.B) {
	ctx := context.Background()
	lim := newLimiter(b, redistest.StartRedis(b).Client(b), redislimit.Options{})
	reqs := layeredRequests()
	b.SetParallelism(8)
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			i++
			tk, _, err := lim.Admit(ctx, reqs[i%len(reqs)])
			if err != nil {
				b.Error(err)
				return
			}
			if err := tk.Settle(ctx, 120, 80); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
