package limitstest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/sluice-gw/sluice/pkg/limits"
)

// LayeredRequests are 1000 keys in 10 teams in one tenant, each request
// carrying a key, a team and a tenant rule, none of which refuses.
func LayeredRequests() []limits.Request {
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

// BenchAdmitSettle times one admission and its settlement over
// LayeredRequests and reports the p50 and p99 of single pairs.
func BenchAdmitSettle(b *testing.B, lim limits.Limiter) {
	ctx := context.Background()
	reqs := LayeredRequests()
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
	p := Percentiles(lat)
	b.ReportMetric(float64(p.P50.Nanoseconds()), "p50-ns")
	b.ReportMetric(float64(p.P99.Nanoseconds()), "p99-ns")
}
