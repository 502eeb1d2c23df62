// Package pricing turns token usage into money. It holds a versioned, dated
// table of list prices per model and provider (embedded from prices.yaml,
// overridable from config) and prices one request's usage in integer
// micro-dollars, so that costs add up exactly however they are summed.
//
// Units: a price is micro-USD per 1,000,000 tokens, which is the same number
// as pico-USD per token; a cost is micro-USD. A request's cost is computed
// exactly, in 128-bit integers, as the sum over token classes of
// tokens × price, and rounded half up to a whole micro-dollar once, at the
// end. No floating point is used.
package pricing

import (
	_ "embed" // prices.yaml
	"math"
	"math/bits"
	"sync"
	"time"

	"github.com/sluice-gw/sluice/pkg/translate"
)

// Prices are one model's list prices on one provider, each in micro-USD
// per 1,000,000 tokens: $2.50 per 1M tokens is 2_500_000.
type Prices struct {
	Input       int64 // uncached prompt tokens
	CachedInput int64 // prompt tokens read from a prompt cache
	CacheWrite  int64 // prompt tokens written to a prompt cache
	Output      int64 // completion tokens that are not reasoning
	Reasoning   int64 // reasoning tokens (part of the output count)
}

// Table is an immutable price table. It is safe for concurrent use; Override
// returns a new table rather than changing this one, so a config reload can
// swap tables without locking readers.
type Table struct {
	version       string
	effectiveFrom time.Time
	currency      string
	rows          []row
	index         map[translate.Provider]map[string]*row
}

// row is one model's prices on one provider.
type row struct {
	provider translate.Provider
	model    string   // canonical name, lower case
	aliases  []string // other exact names, lower case
	prices   Prices
	source   string
	checked  string
}

//go:embed prices.yaml
var embedded []byte

var loadDefault = sync.OnceValues(func() (*Table, error) { return Parse(embedded) })

// Default returns the table built into the binary from prices.yaml.
func Default() (*Table, error) { return loadDefault() }

// Version identifies the price list, e.g. "2026.11.22". A table with config
// overrides reports the base version followed by "+override", so a usage
// record can say which prices it was costed with.
func (t *Table) Version() string { return t.version }

// EffectiveFrom is the day, in UTC, from which the table's prices apply.
func (t *Table) EffectiveFrom() time.Time { return t.effectiveFrom }

// Currency is the ISO 4217 code all prices are in. It is always "USD".
func (t *Table) Currency() string { return t.currency }

// Lookup returns the prices for an upstream model name on a provider,
// following the matching rules in the package README: an exact name or
// alias first, then the name without the provider's decorations (Bedrock
// inference-profile and ARN prefixes, Gemini's "models/"), then without a
// snapshot suffix (a date, or Bedrock's "-v1:0").
func (t *Table) Lookup(model string, provider translate.Provider) (Prices, bool) {
	byName := t.index[provider]
	if byName == nil {
		return Prices{}, false
	}
	for _, name := range candidates(model, provider) {
		if r, ok := byName[name]; ok {
			return r.prices, true
		}
	}
	return Prices{}, false
}

// Cost prices one request's usage in micro-USD. ok is false when the model
// has no price on that provider; the caller decides whether an unpriced
// request is free, refused or flagged.
//
// Usage follows pkg/translate: InputTokens includes CachedInputTokens and
// CacheWriteTokens, and OutputTokens includes ReasoningTokens. Each token is
// billed in exactly one class. Counts are read defensively: a negative count
// is zero, cached and cache-write tokens beyond the input count leave no
// uncached input, and reasoning beyond the output count is capped at it.
// The exact sum is rounded half up to a whole micro-dollar; a cost beyond
// math.MaxInt64 saturates there.
func (t *Table) Cost(model string, provider translate.Provider, u translate.Usage) (micros int64, ok bool) {
	p, ok := t.Lookup(model, provider)
	if !ok {
		return 0, false
	}
	return p.Cost(u), true
}

// Cost prices usage at these prices; see Table.Cost for the rules.
func (p Prices) Cost(u translate.Usage) int64 {
	hi, lo := p.exact(u)
	return roundMicros(hi, lo)
}

// perMillion is the divisor from pico-USD (tokens × micro-USD per 1M tokens)
// to micro-USD.
const perMillion = 1_000_000

// exact returns the unrounded cost in pico-USD as a 128-bit number.
func (p Prices) exact(u translate.Usage) (hi, lo uint64) {
	in := nonNegative(u.InputTokens)
	cached := nonNegative(u.CachedInputTokens)
	written := nonNegative(u.CacheWriteTokens)
	out := nonNegative(u.OutputTokens)
	reasoning := min(nonNegative(u.ReasoningTokens), out)
	uncached := int64(0)
	if cached+written < in && cached+written >= 0 { // the sum cannot wrap in practice; guard anyway
		uncached = in - cached - written
	}
	terms := [...][2]int64{
		{uncached, p.Input},
		{cached, p.CachedInput},
		{written, p.CacheWrite},
		{out - reasoning, p.Output},
		{reasoning, p.Reasoning},
	}
	for _, term := range terms {
		h, l := bits.Mul64(uint64(term[0]), uint64(nonNegative(term[1]))) //nolint:gosec // both are non-negative int64s
		var carry uint64
		lo, carry = bits.Add64(lo, l, 0)
		hi, _ = bits.Add64(hi, h, carry)
	}
	return hi, lo
}

// roundMicros divides a pico-USD amount by one million, rounding half up,
// and saturates at math.MaxInt64.
func roundMicros(hi, lo uint64) int64 {
	var carry uint64
	lo, carry = bits.Add64(lo, perMillion/2, 0)
	hi, _ = bits.Add64(hi, 0, carry)
	if hi >= perMillion {
		return math.MaxInt64 // the quotient would not fit in 64 bits
	}
	q, _ := bits.Div64(hi, lo, perMillion)
	if q > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(q)
}

func nonNegative(n int64) int64 { return max(n, 0) }
