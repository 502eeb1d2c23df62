package fakeprovider

import (
	"bytes"
	"context"
	"math/rand/v2"
	"net/http"
	"unicode/utf8"
)

// A Splitter decides where an outgoing body is cut. Each piece is written
// and flushed on its own, so the gateway sees it as a separate read. Next
// returns the length of the next piece of p (len(p) > 0); results outside
// 1..len(p) are clamped. A Splitter serves one response and need not be
// safe for concurrent use.
type Splitter interface {
	Next(p []byte) int
}

// Split makes a fresh Splitter for each response.
type Split func() Splitter

type splitFunc func(p []byte) int

func (f splitFunc) Next(p []byte) int { return f(p) }

// Whole writes each event (or a non-streamed body) in one piece.
func Whole() Split {
	return func() Splitter { return splitFunc(func(p []byte) int { return len(p) }) }
}

// EveryByte writes one byte at a time.
func EveryByte() Split { return Fixed(1) }

// Fixed writes pieces of n bytes.
func Fixed(n int) Split {
	return func() Splitter { return splitFunc(func([]byte) int { return n }) }
}

// Random writes pieces of lo..hi bytes chosen by a generator seeded with
// seed, so a failing test replays the same cuts.
func Random(seed uint64, lo, hi int) Split {
	return func() Splitter {
		// Cuts must replay from a seed, so a secure generator would be wrong.
		rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)) //nolint:gosec // see above
		return splitFunc(func([]byte) int { return lo + rng.IntN(hi-lo+1) })
	}
}

// Awkward is the default. Like Random(seed, 1, 7), but it also forces a cut
// wherever one is likeliest to expose a parser bug inside the next piece:
// inside an SSE field name ("da|ta:"), inside a multi-byte UTF-8 rune, and
// between the \r and \n of a CRLF.
func Awkward(seed uint64) Split {
	random := Random(seed, 1, 7)
	return func() Splitter {
		r := random()
		return splitFunc(func(p []byte) int { return awkwardCut(p, r.Next(p)) })
	}
}

var fieldNames = [][]byte{[]byte("data:"), []byte("event:"), []byte("id:"), []byte("retry:")}

// awkwardCut returns the first awkward cut within the next n bytes of p, or
// n when there is none.
func awkwardCut(p []byte, n int) int {
	if startsWithField(p) {
		return 2
	}
	n = min(n, len(p))
	for i := 0; i < n && i+1 < len(p); i++ {
		switch {
		case p[i] == '\n' && startsWithField(p[i+1:]):
			return i + 3 // two bytes into the field name of the next line
		case p[i] >= utf8.RuneSelf && utf8.RuneStart(p[i]):
			return i + 1 // after the first byte of a multi-byte rune
		case p[i] == '\r' && p[i+1] == '\n':
			return i + 1
		}
	}
	return n
}

func startsWithField(p []byte) bool {
	for _, f := range fieldNames {
		if bytes.HasPrefix(p, f) {
			return true
		}
	}
	return false
}

// pieceWriter writes through a Splitter, flushing after every piece.
type pieceWriter struct {
	w     http.ResponseWriter
	rc    *http.ResponseController
	split Splitter
}

func newPieceWriter(w http.ResponseWriter, s Split) *pieceWriter {
	return &pieceWriter{w: w, rc: http.NewResponseController(w), split: s()}
}

// write sends p in pieces. It stops at the first error, which means the
// client went away.
func (pw *pieceWriter) write(ctx context.Context, p []byte) error {
	for len(p) > 0 {
		n := min(max(pw.split.Next(p), 1), len(p))
		if _, err := pw.w.Write(p[:n]); err != nil { //nolint:gosec // provider wire data, not HTML
			return err
		}
		if err := pw.rc.Flush(); err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		p = p[n:]
	}
	return nil
}
