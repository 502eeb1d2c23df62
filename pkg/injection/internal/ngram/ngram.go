// Package ngram turns normalised, lower-cased text into the hashed
// character n-gram features of the injection model. Scoring and training
// both read features through this package, so the model always sees at
// run time exactly what it was trained on.
//
// Whitespace runs count as one space and the text is padded with a space
// on each side, so "ignore" at the start of a prompt and in the middle of
// one make the same word-boundary grams. Each byte position ends one gram
// of every length from MinN to MaxN; grams are hashed into Buckets
// buckets. Text is cut into chunks of Chunk positions so a long prompt
// can be scored window by window: an injection buried in a long benign
// document is not averaged away.
package ngram

import "math"

const (
	// Bits is log2 of the number of hash buckets.
	Bits = 18
	// Buckets is the number of hash buckets (model weights).
	Buckets = 1 << Bits
	// MinN is the shortest gram, in bytes.
	MinN = 2
	// MaxN is the longest gram, in bytes.
	MaxN = 5
	// Chunk is the number of gram positions per chunk; a window is two
	// adjacent chunks.
	Chunk = 512
	// LongGrams is the gram count from which a text is long, about 300
	// characters: the calibration gives the model's logit a weight of its
	// own there, because the training set has almost no benign text that
	// long and the model's view of it is the least reliable.
	LongGrams = 1200
)

// Gram is one n-gram occurrence: its bucket and the chunk it ends in.
type Gram struct {
	Chunk  int
	Bucket uint32
}

// Sum is one chunk's total weight and number of grams.
type Sum struct {
	W float64
	N int
}

// mul is the 64-bit golden-ratio constant: multiplying by it and keeping
// the top bits (Fibonacci hashing) spreads the gram keys well enough for
// a linear model, at one multiplication per gram.
const mul = 0x9e3779b97f4a7c15

// masks[n] keeps the last n bytes of the shift register.
var masks = [MaxN + 1]uint64{0, 0xff, 0xffff, 0xffffff, 0xffffffff, 0xffffffffff}

// bucket hashes the last n bytes of reg. The length goes into the key so
// that grams of different lengths never collide by construction.
func bucket(reg uint64, n uint64) uint32 {
	h := ((reg & masks[n]) | n<<56) * mul
	return uint32(h >> (64 - Bits))
}

// isSpace reports the ASCII whitespace bytes that collapse into one space.
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

// Grams appends every gram of text to dst.
func Grams(dst []Gram, text []byte) []Gram {
	var reg uint64
	pos, seen := 0, uint64(0)
	push := func(c byte) {
		reg = reg<<8 | uint64(c)
		seen++
		ch := pos / Chunk
		for n := uint64(MinN); n <= min(seen, MaxN); n++ {
			dst = append(dst, Gram{ch, bucket(reg, n)})
		}
		pos++
	}
	push(' ')
	space := true
	for _, c := range text {
		if isSpace(c) {
			if space {
				continue
			}
			c, space = ' ', true
		} else {
			space = false
		}
		push(c)
	}
	if !space {
		push(' ')
	}
	return dst
}

// Sums appends the per-chunk weight sums of text's grams to dst. It is
// Grams followed by a lookup of each bucket in w, without materialising
// the grams; w must have Buckets entries. The loop is written out rather
// than shared with Grams because it is the scoring hot path; a test holds
// the two to the same answer.
func Sums(dst []Sum, w []float32, text []byte) []Sum {
	w = w[:Buckets]
	reg := uint64(' ')
	var cur Sum
	pos := 1 // the leading space
	space := true
	for i := 0; i <= len(text); i++ {
		var c byte
		switch {
		case i < len(text) && isSpace(text[i]):
			if space {
				continue
			}
			c, space = ' ', true
		case i < len(text):
			c, space = text[i], false
		case space:
			continue // the text already ends in a space
		default:
			c = ' ' // the trailing pad
		}
		reg = reg<<8 | uint64(c)
		if pos%Chunk == 0 {
			dst = append(dst, cur)
			cur = Sum{}
		}
		if pos >= MaxN-1 {
			cur.W += float64(w[bucket(reg, 2)]) + float64(w[bucket(reg, 3)]) +
				float64(w[bucket(reg, 4)]) + float64(w[bucket(reg, 5)])
			cur.N += MaxN - MinN + 1
		} else {
			for n := uint64(MinN); n <= uint64(pos)+1; n++ { //nolint:gosec // pos < MaxN here
				cur.W += float64(w[bucket(reg, n)])
				cur.N++
			}
		}
		pos++
	}
	return append(dst, cur)
}

// Scale is the factor each gram count of a window of n grams is
// multiplied by: 1/sqrt(n). Dividing by n instead (the mean weight, which
// does not grow with length) or by n^0.75 was measured with the
// augmented training set and did not lower the false alarms on long
// benign prompts, while it cost cross-validated F1 (README.md).
func Scale(n int) float64 {
	if n <= 0 {
		return 0
	}
	return 1 / math.Sqrt(float64(n))
}

// window is the model input of one window: a bucket sum and a gram count.
// The feature vector is the window's gram counts times Scale(N), so a
// window's linear score is W*Scale(N).
func window(a, b Sum) float64 {
	return (a.W + b.W) * Scale(a.N+b.N)
}

// MaxWindow is the highest window score of a text's chunk sums. A window
// is chunks i and i+1; a text of one chunk is one window.
func MaxWindow(sums []Sum) float64 {
	if len(sums) == 1 {
		return window(sums[0], Sum{})
	}
	best := math.Inf(-1)
	for i := 0; i+1 < len(sums); i++ {
		best = max(best, window(sums[i], sums[i+1]))
	}
	if len(sums) == 0 {
		return 0
	}
	return best
}

// Windows is the number of windows of a text of n chunks; window i holds
// chunks i and i+1 (chunk 0 alone when n is 1).
func Windows(n int) int { return max(1, n-1) }
