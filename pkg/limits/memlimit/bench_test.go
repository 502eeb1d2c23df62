package memlimit_test

import (
	"context"
	"testing"
	"time"

	"github.com/sluice-gw/sluice/pkg/limits/limitstest"
	"github.com/sluice-gw/sluice/pkg/limits/memlimit"
)

// BenchmarkAdmitSettle times one admission and its settlement, with three
// layered rules, and reports the p50 and p99 of single calls.
func BenchmarkAdmitSettle(b *testing.B) {
	lim := memlimit.New(memlimit.Options{})
	ctx := context.Background()
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

// BenchmarkAdmitParallel has every goroutine share one tenant, the
// contended case.
func BenchmarkAdmitParallel(b *testing.B) {
	lim := memlimit.New(memlimit.Options{})
	ctx := context.Background()
	reqs := layeredRequests()
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
