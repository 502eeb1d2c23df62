package pricing_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/sluice-gw/sluice/pkg/pricing"
	"github.com/sluice-gw/sluice/pkg/translate"
)

const header = "version: \"1\"\neffective_from: 2026-01-01\ncurrency: USD\n"

func TestParseRejects(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want string
	}{
		{"unknown field", header + "models:\n  - model: a\n    providers: [openai]\n    input: 1\n    output: 1\n    inptu: 2\n", "field inptu not found"},
		{"no version", "effective_from: 2026-01-01\ncurrency: USD\n", "version: required"},
		{"bad date", "version: x\neffective_from: 01/01/2026\ncurrency: USD\n", "effective_from: want YYYY-MM-DD"},
		{"other currency", "version: x\neffective_from: 2026-01-01\ncurrency: EUR\n", `currency: only USD is supported, got "EUR"`},
		{"missing output", header + "models:\n  - model: a\n    providers: [openai]\n    input: 1\n", "models[0].output: required"},
		{"missing model", header + "models:\n  - providers: [openai]\n    input: 1\n    output: 1\n", "models[0].model: required"},
		{"no provider", header + "models:\n  - model: a\n    input: 1\n    output: 1\n", "models[0].providers: at least one provider"},
		{"unknown provider", header + "models:\n  - model: a\n    providers: [openai, cohere]\n    input: 1\n    output: 1\n", `models[0].providers[1]: unknown provider "cohere"`},
		{"float noise", header + "models:\n  - model: a\n    providers: [openai]\n    input: 1e-6\n    output: 1\n", `models[0].input: "1e-6": want a decimal`},
		{"seven places", header + "models:\n  - model: a\n    providers: [openai]\n    input: 1\n    output: 0.0000001\n", "models[0].output"},
		{"negative", header + "models:\n  - model: a\n    providers: [openai]\n    input: -1\n    output: 1\n", "models[0].input"},
		{"bad checked date", header + "models:\n  - model: a\n    providers: [openai]\n    input: 1\n    output: 1\n    checked: soon\n", "models[0].checked"},
		{"priced twice", header + "models:\n  - model: a\n    providers: [openai]\n    input: 1\n    output: 1\n  - model: b\n    aliases: [A]\n    providers: [openai]\n    input: 1\n    output: 1\n", `"a" is priced twice on provider openai`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := pricing.Parse([]byte(tt.src))
			if err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, pricing.ErrInvalid) {
				t.Errorf("Parse error = %v; want ErrInvalid containing %q", err, tt.want)
			}
		})
	}
}

func TestParseSameNameOnTwoProviders(t *testing.T) {
	src := header + "models:\n  - model: a\n    providers: [openai]\n    input: 1\n    output: 1\n  - model: a\n    providers: [azure_openai]\n    input: 2\n    output: 2\n"
	tbl, err := pricing.Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if p, _ := tbl.Lookup("a", translate.AzureOpenAI); p.Input != 2_000_000 {
		t.Errorf("azure input = %d, want 2000000", p.Input)
	}
}

func TestOverride(t *testing.T) {
	base := defaultTable(t)
	tbl, err := base.Override([]pricing.Entry{
		// A negotiated Azure price; OpenAI's own stays.
		{Model: "gpt-4o", Providers: []string{"azure_openai"}, Input: "2.75", Output: "11"},
		// A self-hosted model Sluice has never heard of.
		{Model: "llama-3.3-70b", Providers: []string{"openai_compatible"}, Aliases: []string{"llama"}, Input: "0.10", Output: "0.20"},
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		tbl      *pricing.Table
		model    string
		provider translate.Provider
		want     int64
		wantOK   bool
	}{
		{tbl, "gpt-4o", translate.AzureOpenAI, 2_750_000, true},
		{tbl, "gpt-4o-2024-11-20", translate.AzureOpenAI, 2_750_000, true},
		{tbl, "gpt-4o", translate.OpenAI, 2_500_000, true},
		{tbl, "llama", translate.OpenAICompatible, 100_000, true},
		{base, "gpt-4o", translate.AzureOpenAI, 2_500_000, true}, // the base table is unchanged
		{base, "llama", translate.OpenAICompatible, 0, false},
	}
	for _, tt := range tests {
		p, ok := tt.tbl.Lookup(tt.model, tt.provider)
		if p.Input != tt.want || ok != tt.wantOK {
			t.Errorf("%s Lookup(%q, %s) input = %d, %v; want %d, %v", tt.tbl.Version(), tt.model, tt.provider, p.Input, ok, tt.want, tt.wantOK)
		}
	}
	if p, _ := tbl.Lookup("gpt-4o", translate.AzureOpenAI); p.CachedInput != 2_750_000 {
		t.Errorf("override cached input = %d; an override replaces the entry, so it defaults to the new input price", p.CachedInput)
	}
	if tbl.Version() != base.Version()+"+override" {
		t.Errorf("version = %q", tbl.Version())
	}
}

func TestOverrideRejects(t *testing.T) {
	base := defaultTable(t)
	tests := []struct {
		name    string
		entries []pricing.Entry
		want    string
	}{
		{"bad price", []pricing.Entry{{Model: "a", Providers: []string{"openai"}, Input: "$1", Output: "1"}}, `overrides[0].input: "$1"`},
		{"twice in overrides", []pricing.Entry{
			{Model: "a", Providers: []string{"openai"}, Input: "1", Output: "1"},
			{Model: "b", Aliases: []string{"a"}, Providers: []string{"openai"}, Input: "1", Output: "1"},
		}, `"a" is priced twice`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := base.Override(tt.entries)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Override error = %v; want %q", err, tt.want)
			}
		})
	}
}

func TestOverrideAliasShadowsBase(t *testing.T) {
	tbl, err := defaultTable(t).Override([]pricing.Entry{
		{Model: "my-4o", Aliases: []string{"gpt-4o"}, Providers: []string{"openai"}, Input: "1", Output: "1"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if p, _ := tbl.Lookup("gpt-4o", translate.OpenAI); p.Input != 1_000_000 {
		t.Errorf("gpt-4o input = %d; an override's alias takes precedence", p.Input)
	}
}

func TestParseMicros(t *testing.T) {
	tests := []struct {
		in      string
		want    int64
		wantErr bool
	}{
		{"2.50", 2_500_000, false},
		{"0.075", 75_000, false},
		{"3", 3_000_000, false},
		{"0.000001", 1, false},
		{"1000000", pricing.MaxMicros, false},
		{"1000000.000001", 0, true},
		{"99999999", 0, true},
		{"0.0000001", 0, true},
		{"", 0, true},
		{".5", 0, true},
		{"5.", 0, true},
		{"-1", 0, true},
		{"1e3", 0, true},
		{"1,000", 0, true},
		{"$1", 0, true},
	}
	for _, tt := range tests {
		got, err := pricing.ParseMicros(tt.in)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("ParseMicros(%q) = %d, %v; want %d, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestFormatMicros(t *testing.T) {
	for in, want := range map[int64]string{0: "0.000000", 2_500_000: "2.500000", 1: "0.000001", -1_500_000: "-1.500000"} {
		if got := pricing.FormatMicros(in); got != want {
			t.Errorf("FormatMicros(%d) = %q, want %q", in, got, want)
		}
	}
}
