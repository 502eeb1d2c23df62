package memlimit_test

import (
	"context"
	"testing"

	"github.com/sluice-gw/sluice/pkg/limits/limitstest"
	"github.com/sluice-gw/sluice/pkg/limits/memlimit"
)

// BenchmarkAdmitSettle times one admission and its settlement, with three
// layered rules, and reports the p50 and p99 of single calls.
func BenchmarkAdmitSettle(b *testing.B) {
	limitstest.BenchAdmitSettle(b, memlimit.New(memlimit.Options{}))
}

// BenchmarkAdmitParallel has every goroutine share one tenant, the
// contended case.
func BenchmarkAdmitParallel(b *testing.B) {
	lim := memlimit.New(memlimit.Options{})
	ctx := context.Background()
	reqs := limitstest.LayeredRequests()
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
