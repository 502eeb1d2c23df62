package pricing_test

import (
	"math"
	"testing"

	"github.com/sluice-gw/sluice/pkg/pricing"
	"github.com/sluice-gw/sluice/pkg/translate"
)

func defaultTable(t *testing.T) *pricing.Table {
	t.Helper()
	tbl, err := pricing.Default()
	if err != nil {
		t.Fatalf("Default: %v", err)
	}
	return tbl
}

func TestCost(t *testing.T) {
	tbl := defaultTable(t)
	// gemini-2.5-flash with a reasoning price of its own, to tell reasoning
	// from output.
	thinking, err := tbl.Override([]pricing.Entry{{
		Model: "gemini-2.5-flash", Providers: []string{"gemini"},
		Input: "0.30", CachedInput: "0.03", Output: "2.50", Reasoning: "3.50",
	}, {
		Model: "huge", Providers: []string{"openai_compatible"}, Input: "1000000", Output: "1000000",
	}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		tbl      *pricing.Table
		model    string
		provider translate.Provider
		usage    translate.Usage
		want     int64
		wantOK   bool
	}{
		{"input and output", tbl, "gpt-4o", translate.OpenAI,
			translate.Usage{InputTokens: 1000, OutputTokens: 500}, 7500, true},
		{"cached input is part of input", tbl, "gpt-4o", translate.OpenAI,
			translate.Usage{InputTokens: 1000, CachedInputTokens: 600, OutputTokens: 100}, 2750, true},
		{"dated snapshot", tbl, "gpt-4o-2024-08-06", translate.OpenAI,
			translate.Usage{InputTokens: 1000, OutputTokens: 500}, 7500, true},
		{"exact snapshot wins over snapshot rule", tbl, "gpt-4o-2024-05-13", translate.OpenAI,
			translate.Usage{InputTokens: 1000}, 5000, true},
		{"azure lists openai's price", tbl, "gpt-4o", translate.AzureOpenAI,
			translate.Usage{InputTokens: 1000, OutputTokens: 500}, 7500, true},
		{"cache read and cache write", tbl, "claude-sonnet-4-5-20250929", translate.Anthropic,
			translate.Usage{InputTokens: 10_000, CachedInputTokens: 2000, CacheWriteTokens: 3000, OutputTokens: 1000}, 41_850, true},
		{"reasoning defaults to output price", tbl, "gemini-2.5-flash", translate.Gemini,
			translate.Usage{InputTokens: 100, OutputTokens: 1000, ReasoningTokens: 800}, 2530, true},
		{"reasoning price of its own", thinking, "gemini-2.5-flash", translate.Gemini,
			translate.Usage{InputTokens: 100, OutputTokens: 1000, ReasoningTokens: 800}, 3330, true},
		{"reasoning beyond output is capped", thinking, "gemini-2.5-flash", translate.Gemini,
			translate.Usage{OutputTokens: 100, ReasoningTokens: 800}, 350, true},
		{"bedrock inference profile and version", tbl, "us.anthropic.claude-3-5-haiku-20241022-v1:0", translate.Bedrock,
			translate.Usage{InputTokens: 1000, OutputTokens: 1000}, 4800, true},
		{"bedrock cache classes", tbl, "anthropic.claude-3-5-haiku-20241022-v1:0", translate.Bedrock,
			translate.Usage{InputTokens: 1000, CachedInputTokens: 500, CacheWriteTokens: 500}, 540, true},
		{"half a micro rounds up", tbl, "text-embedding-3-small", translate.OpenAI,
			translate.Usage{InputTokens: 25}, 1, true},
		{"under half a micro rounds down", tbl, "text-embedding-3-small", translate.OpenAI,
			translate.Usage{InputTokens: 24}, 0, true},
		{"rounded once, not per class", tbl, "gpt-4o-mini", translate.OpenAI,
			translate.Usage{InputTokens: 4, OutputTokens: 1}, 1, true},
		{"cached beyond input leaves no uncached input", tbl, "gpt-4o", translate.OpenAI,
			translate.Usage{InputTokens: 100, CachedInputTokens: 200}, 250, true},
		{"negative counts are zero", tbl, "gpt-4o", translate.OpenAI,
			translate.Usage{InputTokens: -5, OutputTokens: -1, CachedInputTokens: -3}, 0, true},
		{"mock model is free", tbl, "mock-gpt", translate.OpenAICompatible,
			translate.Usage{InputTokens: 1000, OutputTokens: 1000}, 0, true},
		{"saturates", thinking, "huge", translate.OpenAICompatible,
			translate.Usage{InputTokens: math.MaxInt64, OutputTokens: math.MaxInt64}, math.MaxInt64, true},
		{"unknown model", tbl, "gpt-9", translate.OpenAI, translate.Usage{InputTokens: 1}, 0, false},
		{"model not sold by that provider", tbl, "gpt-4o", translate.Anthropic, translate.Usage{InputTokens: 1}, 0, false},
		{"prefix alone does not match", tbl, "gpt-4o-mini-tts", translate.OpenAI, translate.Usage{InputTokens: 1}, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := tt.tbl.Cost(tt.model, tt.provider, tt.usage)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("Cost(%q, %s, %+v) = %d, %v; want %d, %v", tt.model, tt.provider, tt.usage, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestLookup(t *testing.T) {
	tbl := defaultTable(t)
	tests := []struct {
		model    string
		provider translate.Provider
		want     pricing.Prices
	}{
		{"gpt-4o", translate.OpenAI, pricing.Prices{Input: 2_500_000, CachedInput: 1_250_000, CacheWrite: 2_500_000, Output: 10_000_000, Reasoning: 10_000_000}},
		{"GPT-4o-Mini", translate.OpenAI, pricing.Prices{Input: 150_000, CachedInput: 75_000, CacheWrite: 150_000, Output: 600_000, Reasoning: 600_000}},
		{"models/gemini-2.5-flash", translate.Gemini, pricing.Prices{Input: 300_000, CachedInput: 30_000, CacheWrite: 300_000, Output: 2_500_000, Reasoning: 2_500_000}},
		{"arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-5-haiku-20241022-v1:0", translate.Bedrock,
			pricing.Prices{Input: 800_000, CachedInput: 80_000, CacheWrite: 1_000_000, Output: 4_000_000, Reasoning: 4_000_000}},
	}
	for _, tt := range tests {
		t.Run(tt.model, func(t *testing.T) {
			got, ok := tbl.Lookup(tt.model, tt.provider)
			if !ok || got != tt.want {
				t.Errorf("Lookup(%q, %s) = %+v, %v; want %+v", tt.model, tt.provider, got, ok, tt.want)
			}
		})
	}
}

func TestDefaultIsDated(t *testing.T) {
	tbl := defaultTable(t)
	if tbl.Version() == "" || tbl.EffectiveFrom().IsZero() || tbl.Currency() != "USD" {
		t.Errorf("version %q, effective_from %v, currency %q", tbl.Version(), tbl.EffectiveFrom(), tbl.Currency())
	}
}
