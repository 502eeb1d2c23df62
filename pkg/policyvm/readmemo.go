package policyvm

import (
	"hash/maphash"
	"sync"
	"sync/atomic"

	"github.com/open-policy-agent/opa/v1/ast"
)

// An evaluation is a function of what it reads of the input, and of the
// Instance's data, unless it calls a built-in whose value the input does
// not fix (the clock, randomness, a network call, print). So when a
// policy reads ten facts of a request, such as its tenant, key labels,
// model and hour, every request that agrees with it on those ten facts
// gets the same result, however much else differs: its id, its
// messages, its token estimate.
//
// An Instance that remembers results records what each evaluation reads
// of the input's records, in the order it first reads it, and files the
// result in a decision tree: each node names a value to read, each edge
// is one value it was seen to have, and a leaf holds the result. The
// evaluation is deterministic, so what it reads next depends only on what
// it has read so far: an input that follows the edges to a leaf agrees
// with an earlier one on everything that evaluation read, and would read
// the same and reach the same result. Different inputs branch where they
// first differ, and a tree serves every way the policy's rules may read.
//
// Only Records are followed member by member; a value of any other kind
// counts as read whole once it is reached, as does a record used as a
// value (iterated, compared, passed to a built-in). An input that is not
// a Record is never remembered.

// recordRead is one read of a record's member; member -1 is the record
// used whole.
type recordRead struct {
	r      *Record
	member int
}

// readPath is one value an evaluation read: the members taken from the
// input record down (kinds holds each step's kind of record), the record
// at the end used whole when whole is set.
type readPath struct {
	steps []int
	kinds []*RecordKeys
	whole bool
}

// memoNode reads path and goes on by the value found, or, at a leaf,
// holds a result (nil: undefined).
type memoNode struct {
	path   readPath
	edges  map[uint64][]memoEdge
	leaf   bool
	result *ast.Term
}

type memoEdge struct {
	val  *ast.Term
	next *memoNode
}

// When fewer than one lookup in standRatio found a result over the last
// window, no input repeats what the policy reads (every request brings a
// new value it reads), and the memo stands aside for the next standAside
// evaluations, which are neither looked up nor recorded: it then costs
// its lookups and records for one evaluation in seventeen.
const (
	standRatio = 16
	window     = 1024
	standAside = 16 * window
)

type readMemo struct {
	seed      maphash.Seed
	maxLeaves int

	mu     sync.RWMutex
	root   *memoNode // under mu; nil when empty
	leaves int       // under mu

	hits, misses, skipped atomic.Int64

	// evals counts evaluations; before until, the memo stands aside.
	evals, until atomic.Int64
	// winEvals and winHits count the current window's lookups.
	winEvals, winHits atomic.Int64
}

// MemoStats counts an Instance's lookups of remembered results.
type MemoStats struct {
	// Hits found a result; Misses evaluated and remembered the result;
	// Skipped evaluated an input the memo could not take (not a Record;
	// an evaluation that called an impure built-in or failed) or while
	// the memo stood aside.
	Hits, Misses, Skipped int64
}

// RememberResults makes the Instance remember up to results results by
// the input values each evaluation read; zero or less leaves it off. When
// the memo is full it starts afresh. Call it before the first evaluation.
func (in *Instance) RememberResults(results int) {
	if results <= 0 {
		in.memo = nil
		return
	}
	in.memo = &readMemo{seed: maphash.MakeSeed(), maxLeaves: results}
}

// MemoStats reports the lookups of remembered results so far.
func (in *Instance) MemoStats() MemoStats {
	m := in.memo
	if m == nil {
		return MemoStats{}
	}
	return MemoStats{Hits: m.hits.Load(), Misses: m.misses.Load(), Skipped: m.skipped.Load()}
}

// aside reports whether the memo stands aside for this evaluation.
func (m *readMemo) aside() bool {
	return m.evals.Add(1) < m.until.Load()
}

// tally counts a lookup in the window, and at the window's end decides
// whether to stand aside.
func (m *readMemo) tally(hit bool) {
	if hit {
		m.winHits.Add(1)
	}
	if m.winEvals.Add(1) != window {
		return
	}
	if m.winHits.Load()*standRatio < window {
		m.until.Store(m.evals.Load() + standAside)
	}
	m.winHits.Store(0)
	m.winEvals.Store(0)
}

// lookup returns the result remembered for root, if any.
func (m *readMemo) lookup(root *Record) (*ast.Term, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	n := m.root
	for n != nil && !n.leaf {
		v, ok := n.path.value(root)
		if !ok {
			return nil, false
		}
		n = n.next(v, m.hash(v))
	}
	if n == nil {
		return nil, false
	}
	m.hits.Add(1)
	return n.result, true
}

func (n *memoNode) next(v *ast.Term, h uint64) *memoNode {
	for _, e := range n.edges[h] {
		if identical(e.val, v) {
			return e.next
		}
	}
	return nil
}

// remember files result under what reads say the evaluation read of
// root; false when a read cannot be placed.
func (m *readMemo) remember(root *Record, reads []recordRead, result *ast.Term) bool {
	seq, ok := readOrder(root, reads)
	if !ok {
		return false
	}
	vals := make([]*ast.Term, len(seq))
	for i, p := range seq {
		if vals[i], ok = p.value(root); !ok {
			return false
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.leaves >= m.maxLeaves {
		m.root, m.leaves = nil, 0
	}
	at := &m.root
	for i, p := range seq {
		n := *at
		if n == nil {
			n = &memoNode{path: p, edges: map[uint64][]memoEdge{}}
			*at = n
		} else if n.leaf || !n.path.same(p) {
			// Another evaluation read something else here, having read
			// the same before: only a non-deterministic evaluation would.
			return false
		}
		h := m.hash(vals[i])
		if n.next(vals[i], h) == nil {
			n.edges[h] = append(n.edges[h], memoEdge{val: vals[i]})
		}
		es := n.edges[h]
		for k := range es {
			if identical(es[k].val, vals[i]) {
				at = &es[k].next
				break
			}
		}
	}
	switch n := *at; {
	case n == nil:
		*at = &memoNode{leaf: true, result: result}
		m.leaves++
	case !n.leaf:
		return false
	}
	return true
}

// readOrder turns an evaluation's reads into the paths from root they
// took, each once, in the order first read; false when a read cannot be
// placed under root.
func readOrder(root *Record, reads []recordRead) ([]readPath, bool) {
	// Where each record read sits in the input: the first place found.
	type place struct {
		steps []int
		kinds []*RecordKeys
	}
	places := map[*Record]place{root: {}}
	var walk func(r *Record, at place)
	walk = func(r *Record, at place) {
		for i, v := range r.vals {
			child, ok := valueOf(v).(*Record)
			if !ok {
				continue
			}
			if _, seen := places[child]; seen {
				continue
			}
			p := place{steps: append(at.steps[:len(at.steps):len(at.steps)], i), kinds: append(at.kinds[:len(at.kinds):len(at.kinds)], r.keys)}
			places[child] = p
			walk(child, p)
		}
	}
	walk(root, place{})
	seen := make(map[recordRead]bool, len(reads))
	seq := make([]readPath, 0, len(reads))
	for _, rd := range reads {
		if seen[rd] {
			continue
		}
		seen[rd] = true
		at, ok := places[rd.r]
		if !ok {
			return nil, false
		}
		if rd.member < 0 {
			seq = append(seq, readPath{steps: at.steps, kinds: at.kinds, whole: true})
			continue
		}
		seq = append(seq, readPath{
			steps: append(at.steps[:len(at.steps):len(at.steps)], rd.member),
			kinds: append(at.kinds[:len(at.kinds):len(at.kinds)], rd.r.keys),
		})
	}
	return seq, true
}

// value is what p reads in root; false when root's records do not have
// the kinds p was read from.
func (p *readPath) value(root *Record) (*ast.Term, bool) {
	r := root
	var v *ast.Term
	for k, i := range p.steps {
		if r == nil || r.keys != p.kinds[k] {
			return nil, false
		}
		v = r.vals[i]
		r = nil
		if v != nil {
			r, _ = v.Value.(*Record)
		}
	}
	switch {
	case len(p.steps) == 0:
		// The input itself, used whole.
		return root.Term(), true
	case r == nil:
		return v, true // a value, or nothing
	case p.whole:
		return r.Term(), true
	default:
		// A record only walked through: only its kind was read.
		return r.keys.marker, true
	}
}

func (p *readPath) same(q readPath) bool {
	if p.whole != q.whole || len(p.steps) != len(q.steps) {
		return false
	}
	for i := range p.steps {
		if p.steps[i] != q.steps[i] || p.kinds[i] != q.kinds[i] {
			return false
		}
	}
	return true
}

// hash is a hash of v that agrees with identical. OPA's own hashes
// will not do: they hash a number by its integer part, so the fractions
// a policy reads (0.42, 0.43) would all collide.
func (m *readMemo) hash(v *ast.Term) uint64 {
	// A tag per kind, so a string and a number of the same text differ.
	switch x := valueOf(v).(type) {
	case nil:
		return mix(0, 0)
	case ast.String:
		return mix(1, maphash.String(m.seed, string(x)))
	case ast.Number:
		return mix(2, maphash.String(m.seed, string(x)))
	case ast.Boolean:
		return mix(3, boolBit(bool(x)))
	case ast.Null:
		return mix(4, 0)
	case *Record:
		return mix(5, x.keys.id)
	case *ast.Array:
		h := mix(6, uint64(x.Len())) //nolint:gosec // a length
		for i := range x.Len() {
			h = mix(h, m.hash(x.Elem(i)))
		}
		return h
	case ast.Object:
		// Members in any order: a sum of the pairs' hashes.
		h := mix(7, uint64(x.Len())) //nolint:gosec // a length
		if x.Len() > 0 {
			x.Foreach(func(k, v *ast.Term) { h += mix(m.hash(k), m.hash(v)) })
		}
		return h
	default:
		// Sets, which identical never matches anyway.
		return mix(8, 0)
	}
}

// mix combines two 64-bit values into a well-spread hash (the
// multiply-xorshift finaliser of SplitMix64).
func mix(a, b uint64) uint64 {
	z := a*0x9e3779b97f4a7c15 + b
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

func valueOf(t *ast.Term) ast.Value {
	if t == nil {
		return nil
	}
	return t.Value
}

// identical is strict equality: unlike ast.Compare, 1 and 1.0 differ, as
// they may to a policy that formats them.
func identical(a, b *ast.Term) bool {
	if a == b {
		return true
	}
	if a == nil || b == nil {
		return false
	}
	switch x := a.Value.(type) {
	case ast.String:
		y, ok := b.Value.(ast.String)
		return ok && x == y
	case ast.Number:
		y, ok := b.Value.(ast.Number)
		return ok && x == y
	case ast.Boolean:
		y, ok := b.Value.(ast.Boolean)
		return ok && x == y
	case ast.Null:
		_, ok := b.Value.(ast.Null)
		return ok
	case *Record:
		y, ok := b.Value.(*Record)
		return ok && x.keys == y.keys
	case *ast.Array:
		y, ok := b.Value.(*ast.Array)
		if !ok || x.Len() != y.Len() {
			return false
		}
		for i := range x.Len() {
			if !identical(x.Elem(i), y.Elem(i)) {
				return false
			}
		}
		return true
	case ast.Object:
		y, ok := b.Value.(ast.Object)
		if !ok || x.Len() != y.Len() {
			return false
		}
		same := true
		x.Foreach(func(k, v *ast.Term) {
			// Keys from JSON are strings, which Get matches exactly;
			// any other key is not worth the doubt.
			if !same {
				return
			}
			if _, ok := k.Value.(ast.String); !ok {
				same = false
				return
			}
			same = identical(v, y.Get(k))
		})
		return same
	}
	// Sets, and anything else, are not keyed on.
	return false
}

func boolBit(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}
