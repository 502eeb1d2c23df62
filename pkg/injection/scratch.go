package injection

import (
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/sluice-gw/sluice/pkg/injection/internal/ngram"
)

// scratch holds one analysis's buffers. Scratches are pooled, so scoring
// a text allocates nothing once the pool is warm; buffers grown by a huge
// text are dropped rather than kept.
type scratch struct {
	norm   normalizer
	normed []byte
	lower  []byte
	hidden []byte
	decode []byte
	hits   []hit
	sums   []ngram.Sum
	child  *scratch // decodes nested payloads; one per depth
	depth  int      // nesting of the text being analysed
	found  *signals // where payloads report
	// signals collects a top-level analysis's signals; a field rather
	// than a local so that handing nested analyses a pointer to it does
	// not move it to the heap.
	signals signals
}

const maxPooled = 1 << 20

var pool = sync.Pool{New: func() any { return new(scratch) }}

func getScratch() *scratch { return pool.Get().(*scratch) }

func putScratch(s *scratch) {
	if cap(s.normed) > maxPooled || cap(s.lower) > maxPooled || cap(s.norm.composed) > maxPooled {
		return
	}
	pool.Put(s)
}

// analyze returns the model's logit for text and the heuristics that fired.
func (s *scratch) analyze(d *Detector, text []byte) (float64, signals) {
	s.signals = 0
	s.heuristics(text, 0, &s.signals)
	s.sums = ngram.Sums(s.sums[:0], d.weights, s.lower)
	return d.logit(s.sums), s.signals
}

// heuristics normalises text into s.normed and s.lower and adds the
// signals that fire on it, on what tag characters hide in it and on what
// its encoded payloads decode to.
func (s *scratch) heuristics(text []byte, depth int, found *signals) {
	s.norm.reset()
	s.normed = s.norm.run(s.normed[:0], text)
	s.lower = appendLower(s.lower[:0], s.normed)
	if s.norm.zeroWidth {
		found.set(sigZeroWidth)
	}
	if s.norm.homoglyph {
		found.set(sigHomoglyph)
	}
	if s.norm.tags {
		found.set(sigUnicodeTags)
		if len(s.norm.hidden) > 0 && depth < maxDepth {
			s.hidden = append(s.hidden[:0], s.norm.hidden...)
			s.nested().heuristics(s.hidden, depth+1, found)
		}
	}
	s.hits = phrases.lookup(s.hits[:0], s.lower)
	phrases.match(s.hits, found)
	if hasMarker(s.lower) {
		found.set(sigDelimiter)
	}
	s.depth, s.found = depth, found
	s.decode = findBase64(s.decode, s.normed, s)
	s.decode = findHex(s.decode, s.normed, s)
	s.found = nil
}

// payload analyses what an encoded run decoded to, one level deeper.
func (s *scratch) payload(decoded []byte, sig signal, text bool) {
	if text {
		s.found.set(sig)
	}
	if s.depth < maxDepth {
		s.nested().heuristics(decoded, s.depth+1, s.found)
	}
}

func (s *scratch) nested() *scratch {
	if s.child == nil {
		s.child = new(scratch)
	}
	return s.child
}

// lowerASCII maps ASCII upper case to lower case and every other byte to
// itself.
var lowerASCII = func() (t [256]byte) {
	for i := range t {
		t[i] = byte(i)
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = byte(c + 'a' - 'A')
	}
	return t
}()

// appendLower appends text in lower case.
func appendLower(dst, text []byte) []byte {
	n := len(dst)
	dst = append(dst, text...)
	out := dst[n:]
	i := 0
	for ; i < len(out) && out[i] < utf8.RuneSelf; i++ {
		out[i] = lowerASCII[out[i]]
	}
	if i == len(out) {
		return dst
	}
	dst = dst[:n+i]
	for i < len(text) {
		c := text[i]
		if c < utf8.RuneSelf {
			dst = append(dst, lowerASCII[c])
			i++
			continue
		}
		r, size := utf8.DecodeRune(text[i:])
		dst = utf8.AppendRune(dst, unicode.ToLower(r))
		i += size
	}
	return dst
}
