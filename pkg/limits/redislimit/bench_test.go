package redislimit_test

import (
	"context"
	"testing"

	"github.com/sluice-gw/sluice/pkg/limits"
	"github.com/sluice-gw/sluice/pkg/limits/limitstest"
	"github.com/sluice-gw/sluice/pkg/limits/redislimit"
	"github.com/sluice-gw/sluice/pkg/redistest"
)

// TestAdmitLatency reports p50 and p99 of one admission (one round trip to
// a local redis-server) with three layered rules. It asserts nothing about
// time: the network and the server dominate.
func TestAdmitLatency(t *testing.T) {
	if testing.Short() {
		t.Skip("latency report")
	}
	ctx := context.Background()
	lim := newLimiter(t, redistest.StartRedis(t).Client(t), redislimit.Options{})
	reqs := limitstest.LayeredRequests()
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
	limitstest.BenchAdmitSettle(b, newLimiter(b, redistest.StartRedis(b).Client(b), redislimit.Options{}))
}

// BenchmarkAdmitParallel runs admissions from many goroutines over one
// client, as a busy replica does.
func BenchmarkAdmitParallel(b *testing.B) {
	ctx := context.Background()
	lim := newLimiter(b, redistest.StartRedis(b).Client(b), redislimit.Options{})
	reqs := limitstest.LayeredRequests()
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
