package tokens

import (
	"runtime"
	"sync/atomic"
)

const (
	// cachedFrom is the shortest text worth a pooled piece table.
	cachedFrom = 256
	// parallelFrom is the least text, in bytes, worth sharing across
	// cores: about 16k tokens, where starting a goroutine is noise.
	parallelFrom = 64 << 10
	// cutWindow bounds the search for a place to split one text.
	cutWindow = 4 << 10
)

// countAll returns the sum of the token counts of each text in segs,
// each counted on its own, using the other cores for large inputs.
func (r *ranks) countAll(e Encoding, segs []string) int {
	size := 0
	for _, s := range segs {
		size += len(s)
	}
	if size < parallelFrom || runtime.GOMAXPROCS(0) == 1 {
		n := 0
		for _, s := range segs {
			n += r.countText(e, s)
		}
		return n
	}
	p := r.pipeline(e)
	for _, s := range segs {
		p.add(s)
	}
	return p.finish()
}

// chunk is the size long texts are cut to for sharing between cores.
const chunk = 16 << 10

// A pipeline counts texts on other cores while the caller is still
// finding them (reading the body), then the caller helps with the rest.
// Long texts are cut into chunks where a pre-token is known to start, so
// the total equals the sequential count.
type pipeline struct {
	r    *ranks
	enc  Encoding
	work chan job
	done chan int
	n    int // workers
}

// job is one text to count. Its count goes to dst when set, else to the
// pipeline's total.
type job struct {
	s   string
	dst *atomic.Int64
}

func (r *ranks) pipeline(e Encoding) *pipeline {
	p := &pipeline{r: r, enc: e, work: make(chan job, 64), n: min(runtime.GOMAXPROCS(0)-1, 3)}
	p.done = make(chan int, p.n)
	for range p.n {
		go func() { p.done <- p.drain() }()
	}
	return p
}

func (p *pipeline) drain() int {
	n := 0
	for j := range p.work {
		k := p.r.countText(p.enc, j.s)
		if j.dst != nil {
			j.dst.Add(int64(k))
		} else {
			n += k
		}
	}
	return n
}

// add queues one text for the pipeline's total.
func (p *pipeline) add(s string) { p.addTo(s, nil) }

// addTo queues one text whose count goes to dst (the total when nil).
func (p *pipeline) addTo(s string, dst *atomic.Int64) {
	for len(s) > chunk {
		cut := safeCut(s, chunk)
		if cut == 0 {
			break
		}
		p.work <- job{s[:cut], dst}
		s = s[cut:]
	}
	if len(s) > 0 {
		p.work <- job{s, dst}
	}
}

// finish counts what is still queued alongside the workers and returns
// the total; counts sent elsewhere are complete when it returns.
func (p *pipeline) finish() int {
	close(p.work)
	n := p.drain()
	for range p.n {
		n += <-p.done
	}
	return n
}

// safeCut returns a place near at where both encodings start a pre-token:
// a space after an ASCII letter. No pre-token runs from a letter across a
// space (only the whitespace and punctuation rules take spaces, and only
// as their first character), and a pre-token depends on nothing before
// its start, so counting the two halves apart changes nothing. It returns
// 0 (no cut) when the window holds no such place.
func safeCut(s string, at int) int {
	lo, hi := max(at-cutWindow, 1), min(at+cutWindow, len(s))
	for p := max(at, 1); p < hi; p++ {
		if s[p] == ' ' && asciiLetter(s[p-1]) {
			return p
		}
	}
	for p := min(at, len(s)-1); p >= lo; p-- {
		if s[p] == ' ' && asciiLetter(s[p-1]) {
			return p
		}
	}
	return 0
}

func asciiLetter(b byte) bool { return (b|0x20) >= 'a' && (b|0x20) <= 'z' }

// countText counts one text.
func (r *ranks) countText(e Encoding, s string) int {
	if len(s) < cachedFrom {
		n := 0
		for i := 0; i < len(s); {
			j := split(e, s, i)
			n += r.pieceTokens(s[i:j])
			i = j
		}
		return n
	}
	pool := cachePool(e, len(s))
	c, _ := pool.Get().(*pieceCache)
	n := 0
	if e == CL100k { // two loops, so each calls its scanner directly
		for i := 0; i < len(s); {
			j := splitCL100k(s, i)
			n += c.tokens(r, s, i, j)
			i = j
		}
	} else {
		for i := 0; i < len(s); {
			j := splitO200k(s, i)
			n += c.tokens(r, s, i, j)
			i = j
		}
	}
	pool.Put(c)
	return n
}

func split(e Encoding, s string, i int) int {
	if e == CL100k {
		return splitCL100k(s, i)
	}
	return splitO200k(s, i)
}
