package fakeprovider

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math"
	"unicode/utf8"
)

// What every fake answers. Tests assert on these.
const (
	// ReplyText is the assistant text of every text reply. Its multi-byte
	// runes catch translators that split UTF-8 at chunk boundaries.
	ReplyText = "héllo wörld 🌊 — ça va? 日本語 ✓"
	// ToolArguments is the JSON input of every tool call, whatever the
	// tool's schema.
	ToolArguments = `{"city":"Zürich","days":3}`
	// Created is the fixed creation time the OpenAI-shaped fakes report.
	Created = 1700000000
)

// Usage every fake reports for a chat reply, in the provider's own
// accounting. Normalized, every provider means 12 input tokens (4 read from
// a cache) and 9 output tokens; Anthropic and Bedrock split the input into
// 6 uncached, 4 cache-read and 2 cache-write tokens, and OpenAI, Azure and
// Gemini say 3 of the output tokens were reasoning.
const (
	InputTokens      = 12
	CachedTokens     = 4
	CacheWriteTokens = 2
	OutputTokens     = 9
	ReasoningTokens  = 3
	TotalTokens      = InputTokens + OutputTokens
	// EmbeddingTokens is what OpenAI and Azure report per embedded input.
	EmbeddingTokens = 5
	// DefaultDimensions is the embedding size when the request names none.
	DefaultDimensions = 8
)

// textPieceRunes is how many runes each streamed text delta carries.
const textPieceRunes = 5

// argPieceBytes is roughly how many bytes each streamed tool-argument
// delta carries.
const argPieceBytes = 7

// textPieces is the reply text as streamed deltas.
func (c *call) textPieces() []string { return runePieces(c.text(), textPieceRunes) }

// text is the assistant text of a text reply.
func (c *call) text() string {
	if c.reply != "" {
		return c.reply
	}
	return ReplyText
}

// argPieces is ToolArguments as streamed deltas, never splitting a rune:
// providers stream whole tokens.
func argPieces() []string {
	var out []string
	s := ToolArguments
	for len(s) > 0 {
		i := min(argPieceBytes, len(s))
		for i < len(s) && !utf8.RuneStart(s[i]) {
			i++
		}
		out = append(out, s[:i])
		s = s[i:]
	}
	return out
}

func runePieces(s string, n int) []string {
	var out []string
	for len(s) > 0 {
		i, count := 0, 0
		for i < len(s) && count < n {
			_, size := utf8.DecodeRuneInString(s[i:])
			i += size
			count++
		}
		out = append(out, s[:i])
		s = s[i:]
	}
	return out
}

// Vector is the embedding every fake returns for input: deterministic,
// distinct per input, dims long. Tests use it to check that a batch comes
// back in order.
func Vector(input string, dims int) []float32 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(input)) // writes to a hash never fail
	state := h.Sum64()
	v := make([]float32, dims)
	for i := range v {
		state = state*6364136223846793005 + 1442695040888963407
		unit := float64(state>>11) / (1 << 53) // in [0, 1)
		v[i] = float32(math.Round((unit*2-1)*1e4) / 1e4)
	}
	return v
}

// obj is a JSON object literal; fixtures read best as nested literals.
type obj = map[string]any

// mustJSON encodes a fixture. Fixtures are built from maps, slices and
// scalars, which always encode, so a failure is a bug in this package.
func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("fakeprovider: encoding fixture: %v", err))
	}
	return b
}

// toolInput is ToolArguments as a value, for providers that send tool input
// as an object rather than a string.
func toolInput() json.RawMessage { return json.RawMessage(ToolArguments) }
