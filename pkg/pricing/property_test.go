package pricing

import (
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/sluice-gw/sluice/pkg/translate"
)

// TestCostAddsUp checks that costs do not drift: the exact costs of many
// requests sum to exactly the exact cost of their summed usage, and the
// rounded costs differ from the rounded cost of the sum by at most the
// half micro-dollar each rounding may add or drop.
func TestCostAddsUp(t *testing.T) {
	tbl, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, r := range tbl.rows {
		for trial := range 50 {
			n := 1 + rng.IntN(200)
			var sum translate.Usage
			exactSum := new(big.Int)
			var roundedSum int64
			for range n {
				u := randomUsage(rng)
				sum.InputTokens += u.InputTokens
				sum.CachedInputTokens += u.CachedInputTokens
				sum.CacheWriteTokens += u.CacheWriteTokens
				sum.OutputTokens += u.OutputTokens
				sum.ReasoningTokens += u.ReasoningTokens
				exactSum.Add(exactSum, toBig(r.prices.exact(u)))
				roundedSum += r.prices.Cost(u)
			}
			if whole := toBig(r.prices.exact(sum)); whole.Cmp(exactSum) != 0 {
				t.Fatalf("%s/%s trial %d: exact cost of the sum %v != sum of exact costs %v", r.provider, r.model, trial, whole, exactSum)
			}
			diff := 2 * (roundedSum - r.prices.Cost(sum)) // in half micro-dollars
			if diff < 0 {
				diff = -diff
			}
			if diff > int64(n)+1 {
				t.Fatalf("%s/%s trial %d: %d requests summed to %d, their total costs %d", r.provider, r.model, trial, n, roundedSum, r.prices.Cost(sum))
			}
		}
	}
}

// randomUsage draws a consistent usage: cached and cache-write tokens within
// the input, reasoning within the output.
func randomUsage(rng *rand.Rand) translate.Usage {
	in := rng.Int64N(200_000)
	cached := rng.Int64N(in + 1)
	written := rng.Int64N(in - cached + 1)
	out := rng.Int64N(20_000)
	return translate.Usage{InputTokens: in, CachedInputTokens: cached, CacheWriteTokens: written,
		OutputTokens: out, ReasoningTokens: rng.Int64N(out + 1)}
}

func toBig(hi, lo uint64) *big.Int {
	v := new(big.Int).SetUint64(hi)
	v.Lsh(v, 64)
	return v.Add(v, new(big.Int).SetUint64(lo))
}

func TestCandidates(t *testing.T) {
	tests := []struct {
		model    string
		provider translate.Provider
		want     []string
	}{
		{"gpt-4o", translate.OpenAI, []string{"gpt-4o"}},
		{" GPT-4o-2024-08-06 ", translate.OpenAI, []string{"gpt-4o-2024-08-06", "gpt-4o"}},
		{"claude-sonnet-4-5-20250929", translate.Anthropic, []string{"claude-sonnet-4-5-20250929", "claude-sonnet-4-5"}},
		{"claude-sonnet-4-5@20250929", translate.Anthropic, []string{"claude-sonnet-4-5@20250929", "claude-sonnet-4-5"}},
		{"models/gemini-2.5-flash", translate.Gemini, []string{"models/gemini-2.5-flash", "gemini-2.5-flash"}},
		{"eu.anthropic.claude-3-5-haiku-20241022-v1:0", translate.Bedrock,
			[]string{"eu.anthropic.claude-3-5-haiku-20241022-v1:0", "anthropic.claude-3-5-haiku-20241022-v1:0", "anthropic.claude-3-5-haiku"}},
		{"models/gpt-4o", translate.OpenAI, []string{"models/gpt-4o"}}, // only Gemini names carry models/
	}
	for _, tt := range tests {
		got := candidates(tt.model, tt.provider)
		if len(got) != len(tt.want) {
			t.Errorf("candidates(%q) = %q, want %q", tt.model, got, tt.want)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("candidates(%q) = %q, want %q", tt.model, got, tt.want)
				break
			}
		}
	}
}
