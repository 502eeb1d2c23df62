// Package tokens estimates how many input tokens a request will cost
// before it is sent, offline, with OpenAI's real tokenizers (o200k_base
// and cl100k_base, embedded in the binary) and each provider's published
// rules for message framing, tools and images. Anthropic's and Google's
// tokenizers are not public: their counts are approximated from the
// o200k count with a documented factor and error bound (see README.md).
//
// Counting is lazy: nothing is loaded until a count is needed, and
// callers should only count when a limit or policy needs the number.
// Needed answers that cheaply from the body's size; Approx gives a rough
// bytes/4 figure without tokenizing at all.
package tokens

import (
	"bytes"
	"errors"
	"math"
)

// ErrBody is returned for a body that is not the request it should be
// (no messages array, no embeddings input).
var ErrBody = errors.New("tokens: unexpected request body")

// Estimator counts requests. The zero value is ready to use and safe for
// concurrent use; the encodings it needs are loaded on first use and
// shared by all estimators.
type Estimator struct {
	// URLImage is the size assumed for an image given by an http(s) URL,
	// which cannot be measured without fetching it. The zero value counts
	// such images at their rule's largest charge (the high-detail maximum
	// for OpenAI, 1600 tokens for Claude), so limits err on the safe side.
	URLImage Size

	// noMemo counts every message afresh, for measuring what a request
	// whose messages are all new costs.
	noMemo bool
}

// Estimate is a request's estimated input tokens, by where they come from.
type Estimate struct {
	// Tokens is the total: Text + Framing + Tools + Images.
	Tokens int
	// Text is the message content: text parts, tool-call names and
	// arguments, tool results.
	Text int
	// Framing is the per-message, per-name and reply-priming overhead,
	// including the tokens of role names.
	Framing int
	// Tools is the tool (function) definitions, with the provider's fixed
	// overhead, and a response_format JSON schema.
	Tools int
	// Images is the image parts' charge; ImageCount is how many there are.
	Images     int
	ImageCount int
	// Bound is the profile's documented relative error of Text and Tools;
	// 0 means they were counted with the provider's own tokenizer.
	Bound float64
}

func (e *Estimate) total() {
	e.Tokens = e.Text + e.Framing + e.Tools + e.Images
}

// CountText counts text as the profile's model would, for example output
// that was streamed to the client when the stream broke before the
// provider reported usage.
func (e *Estimator) CountText(s string, p Profile) (int, error) {
	r, err := p.Encoding.table()
	if err != nil {
		return 0, err
	}
	return scale(r.countAll(p.Encoding, []string{s}), p.Factor), nil
}

// scale applies a family's calibration factor.
func scale(n int, factor float64) int {
	if factor == 0 || factor == 1 || n == 0 {
		return n
	}
	return int(math.Round(float64(n) * factor))
}

// Approx is a rough count without tokenizing: one token per four bytes
// of body.
func Approx(body []byte) int { return perFourBytes(len(body)) }

// perFourBytes is n bytes at one token per four, rounded up.
func perFourBytes(n int) int { return (n + 3) / 4 }

// Needed reports whether an exact estimate is needed to tell if body
// might exceed limit tokens for the profile's model: false when even
// UpperBound is within the limit, so the caller can skip counting.
func Needed(body []byte, p Profile, limit int) bool {
	return UpperBound(body, p) > limit
}

// UpperBound is a cheap bound on EstimateChat and EstimateMessagesFor
// for body: every token spans at least one byte of text and JSON escapes
// only shrink text, so the body's length bounds text, framing and files;
// each "image_url" key (chat) or "image" token (an Anthropic block's
// type) may be an image at its rule's largest charge; tools add their
// fixed overhead. A quote inside a JSON string is escaped, so neither
// appears in text.
func UpperBound(body []byte, p Profile) int {
	n := int(math.Ceil(float64(len(body))*max(p.Factor, 1))) + replyPriming
	// One pass: `"image` starts both an "image_url" key and an "image"
	// block type (and anything else so named, which only loosens the
	// bound).
	images := bytes.Count(body, []byte(`"image`))
	if images > 0 {
		n += images * p.Image.max()
	}
	if p.Family == Anthropic && bytes.Contains(body, []byte(`"tools"`)) {
		n += anthropicToolsAuto
	}
	return n
}
