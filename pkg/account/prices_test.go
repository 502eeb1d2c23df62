package account

import (
	"testing"

	"github.com/sluice-gw/sluice/pkg/pricing"
	"github.com/sluice-gw/sluice/pkg/translate"
)

// TestPriceCacheMatchesTable checks that remembered lookups price exactly
// as the table does, misses included, asked twice each so the second
// answer comes from the cache, and that a new table is never answered
// from an old one's entries.
func TestPriceCacheMatchesTable(t *testing.T) {
	base, err := pricing.Default()
	if err != nil {
		t.Fatal(err)
	}
	over, err := base.Override([]pricing.Entry{{Model: "gpt-4o-mini", Providers: []string{"openai"}, Input: "99", Output: "99"}})
	if err != nil {
		t.Fatal(err)
	}
	u := translate.Usage{InputTokens: 1200, OutputTokens: 345, CachedInputTokens: 200}
	tests := []struct {
		model    string
		provider translate.Provider
	}{
		{"gpt-4o-mini", translate.OpenAI},
		{"gpt-4o-2024-08-06", translate.OpenAI}, // a snapshot of a priced model
		{"claude-sonnet-4-5", translate.Anthropic},
		{"no-such-model", translate.OpenAI},
		{"gpt-4o-mini", translate.Gemini}, // priced, but not on this provider
	}
	var c priceCache
	for _, table := range []*pricing.Table{base, over, base} {
		for _, tt := range tests {
			wantCost, wantOK := table.Cost(tt.model, tt.provider, u)
			for range 2 {
				cost, ok := c.cost(table, tt.model, tt.provider, u)
				if cost != wantCost || ok != wantOK {
					t.Errorf("%s on %s (table %s): got %d, %v; want %d, %v",
						tt.model, tt.provider, table.Version(), cost, ok, wantCost, wantOK)
				}
			}
		}
	}
	if cost, ok := c.cost(nil, "gpt-4o-mini", translate.OpenAI, u); cost != 0 || ok {
		t.Errorf("no table: got %d, %v", cost, ok)
	}
}
