package budget_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sluice-gw/sluice/pkg/budget"
	"github.com/sluice-gw/sluice/pkg/translate"
)

func TestAggregate(t *testing.T) {
	records := []budget.UsageRecord{
		{Time: date("2026-11-21T23:00:00Z"), Tenant: "demo", Key: "k1", Model: "gpt-4o",
			Tokens: translate.Usage{InputTokens: 100, OutputTokens: 10}, CostMicros: 350, Latency: time.Second, Status: 200},
		{Time: date("2026-11-22T01:00:00Z"), Tenant: "demo", Key: "k1", Model: "gpt-4o",
			Tokens: translate.Usage{InputTokens: 200, CachedInputTokens: 50, OutputTokens: 20, Estimated: true}, CostMicros: 600, Latency: 3 * time.Second, Status: 200, CacheHit: true},
		{Time: date("2026-11-22T02:00:00Z"), Tenant: "demo", Key: "k2", Model: "claude-sonnet-4-5",
			Tokens: translate.Usage{InputTokens: 10}, CostMicros: 30, Status: 429},
		{Time: date("2026-11-22T03:00:00Z"), Tenant: "acme", Key: "k3", Model: "gpt-4o",
			Tokens: translate.Usage{InputTokens: 1}, CostMicros: 3, Status: 200},
	}
	tests := []struct {
		name string
		by   []string
		want []budget.UsageRow
	}{
		{"everything", nil, []budget.UsageRow{{Group: []string{}, Requests: 4, Errors: 1, CacheHits: 1,
			Tokens: translate.Usage{InputTokens: 311, CachedInputTokens: 50, OutputTokens: 30, Estimated: true}, CostMicros: 983, Latency: 4 * time.Second}}},
		{"tenant", []string{"tenant"}, []budget.UsageRow{
			{Group: []string{"acme"}, Requests: 1, Tokens: translate.Usage{InputTokens: 1}, CostMicros: 3},
			{Group: []string{"demo"}, Requests: 3, Errors: 1, CacheHits: 1, Tokens: translate.Usage{InputTokens: 310, CachedInputTokens: 50, OutputTokens: 30, Estimated: true}, CostMicros: 980, Latency: 4 * time.Second},
		}},
		{"tenant, key, model, period", []string{"tenant", "key", "model", "period"}, []budget.UsageRow{
			{Group: []string{"acme", "k3", "gpt-4o", "2026-11-22"}, Requests: 1, Tokens: translate.Usage{InputTokens: 1}, CostMicros: 3},
			{Group: []string{"demo", "k1", "gpt-4o", "2026-11-21"}, Requests: 1, Tokens: translate.Usage{InputTokens: 100, OutputTokens: 10}, CostMicros: 350, Latency: time.Second},
			{Group: []string{"demo", "k1", "gpt-4o", "2026-11-22"}, Requests: 1, CacheHits: 1, Tokens: translate.Usage{InputTokens: 200, CachedInputTokens: 50, OutputTokens: 20, Estimated: true}, CostMicros: 600, Latency: 3 * time.Second},
			{Group: []string{"demo", "k2", "claude-sonnet-4-5", "2026-11-22"}, Requests: 1, Errors: 1, Tokens: translate.Usage{InputTokens: 10}, CostMicros: 30},
		}},
		{"month and status", []string{"month", "status"}, []budget.UsageRow{
			{Group: []string{"2026-11", "200"}, Requests: 3, CacheHits: 1, Tokens: translate.Usage{InputTokens: 301, CachedInputTokens: 50, OutputTokens: 30, Estimated: true}, CostMicros: 953, Latency: 4 * time.Second},
			{Group: []string{"2026-11", "429"}, Requests: 1, Errors: 1, Tokens: translate.Usage{InputTokens: 10}, CostMicros: 30},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := budget.Aggregate(records, tt.by)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Aggregate(%v) (-want +got):\n%s", tt.by, diff)
			}
		})
	}
}

func TestAggregateUnknownDimension(t *testing.T) {
	_, err := budget.Aggregate(nil, []string{"tenant", "colour"})
	if err == nil || err.Error()[:26] != `by[1]: unknown dimension "` {
		t.Errorf("error = %v", err)
	}
}
