package semcache

import (
	"fmt"
	"math/bits"
	"time"
)

// exactBelow is the partition size under which every entry is scored
// directly: sketching the query costs signBits dot products, more than
// scoring that many entries.
const exactBelow = signBits

// entry is one stored request.
type entry struct {
	scope, key string
	vec        quantized
	sketch     [signWords]uint64
	added      int64 // Unix nanoseconds
	pos        int   // index in its partition
	// prev and next link the store's recency list, most recent first.
	prev, next *entry
}

func newEntry(scope, key string, q quantized, added time.Time) *entry {
	return &entry{scope: scope, key: key, vec: q, added: added.UnixNano()}
}

// partition holds one scope's entries; sketches are kept contiguous so a
// scan reads them sequentially.
type partition struct {
	sketches []uint64 // signWords per entry, in entries' order
	entries  []*entry
}

// store is the index's data, guarded by Index.mu.
type store struct {
	dims     int // 0 until the first entry fixes it
	sketcher *sketcher
	parts    map[string]*partition
	byKey    map[[2]string]*entry
	head     *entry // most recently used
	tail     *entry
	n        int
}

func newStore() *store {
	return &store{parts: map[string]*partition{}, byKey: map[[2]string]*entry{}}
}

func (s *store) len() int { return s.n }

func (s *store) scopeLen(scope string) int {
	if p := s.parts[scope]; p != nil {
		return len(p.entries)
	}
	return 0
}

func (s *store) checkDims(d int) error {
	if s.dims != 0 && d != s.dims {
		return fmt.Errorf("semcache: %w: got %d, index has %d", ErrDimensions, d, s.dims)
	}
	return nil
}

// add inserts e, replacing the entry with its scope and key, and evicts
// the least recently used entries beyond maxEntries.
func (s *store) add(e *entry, maxEntries int) error {
	if err := s.checkDims(len(e.vec.q)); err != nil {
		return err
	}
	if s.dims == 0 {
		s.dims = len(e.vec.q)
		s.sketcher = newSketcher(s.dims)
	}
	e.sketch = s.sketcher.sketch(dequantize(e.vec))
	if old := s.byKey[[2]string{e.scope, e.key}]; old != nil {
		s.remove(old)
	}
	p := s.parts[e.scope]
	if p == nil {
		p = &partition{}
		s.parts[e.scope] = p
	}
	e.pos = len(p.entries)
	p.entries = append(p.entries, e)
	p.sketches = append(p.sketches, e.sketch[:]...)
	s.byKey[[2]string{e.scope, e.key}] = e
	s.pushFront(e)
	s.n++
	for s.n > maxEntries {
		s.remove(s.tail)
	}
	return nil
}

// remove deletes e by moving its partition's last entry into its place.
func (s *store) remove(e *entry) {
	p := s.parts[e.scope]
	last := len(p.entries) - 1
	if e.pos != last {
		moved := p.entries[last]
		p.entries[e.pos] = moved
		moved.pos = e.pos
		copy(p.sketches[e.pos*signWords:], p.sketches[last*signWords:(last+1)*signWords])
	}
	p.entries[last] = nil
	p.entries = p.entries[:last]
	p.sketches = p.sketches[:last*signWords]
	if last == 0 {
		delete(s.parts, e.scope)
	}
	delete(s.byKey, [2]string{e.scope, e.key})
	s.unlink(e)
	s.n--
}

// sweep removes entries added before cutoff.
func (s *store) sweep(cutoff int64) {
	for e := s.tail; e != nil; {
		prev := e.prev
		if e.added < cutoff {
			s.remove(e)
		}
		e = prev
	}
}

// search returns the best live entry of scope scoring at least threshold.
func (s *store) search(scope string, q quantized, threshold float32, cutoff int64) (*entry, float32) {
	p := s.parts[scope]
	if p == nil {
		return nil, 0
	}
	var best *entry
	bestScore := threshold
	consider := func(e *entry) {
		if e.added < cutoff {
			return
		}
		if sc := dot(q, e.vec); sc >= bestScore && (best == nil || sc > bestScore) {
			best, bestScore = e, sc
		}
	}
	if len(p.entries) < exactBelow {
		for _, e := range p.entries {
			consider(e)
		}
		return best, bestScore
	}
	// Sketched from the quantised vector, as every entry is.
	qs := s.sketcher.sketch(dequantize(q))
	limit := maxHamming(threshold)
	sk := p.sketches
	for i, e := range p.entries {
		w := sk[i*signWords : i*signWords+signWords : i*signWords+signWords]
		d := bits.OnesCount64(w[0]^qs[0]) + bits.OnesCount64(w[1]^qs[1]) +
			bits.OnesCount64(w[2]^qs[2]) + bits.OnesCount64(w[3]^qs[3])
		if d <= limit {
			consider(e)
		}
	}
	return best, bestScore
}

// touch marks e as just used, if it is still stored.
func (s *store) touch(e *entry) {
	if s.byKey[[2]string{e.scope, e.key}] != e {
		return
	}
	s.unlink(e)
	s.pushFront(e)
}

func (s *store) pushFront(e *entry) {
	e.prev, e.next = nil, s.head
	if s.head != nil {
		s.head.prev = e
	}
	s.head = e
	if s.tail == nil {
		s.tail = e
	}
}

func (s *store) unlink(e *entry) {
	if e.prev != nil {
		e.prev.next = e.next
	} else {
		s.head = e.next
	}
	if e.next != nil {
		e.next.prev = e.prev
	} else {
		s.tail = e.prev
	}
	e.prev, e.next = nil, nil
}

// dequantize recovers an approximation of the unit vector, for sketching
// entries that arrive quantised from Redis exactly as local ones.
func dequantize(q quantized) []float32 {
	out := make([]float32, len(q.q))
	for i, x := range q.q {
		out[i] = float32(x) * q.scale
	}
	return out
}
