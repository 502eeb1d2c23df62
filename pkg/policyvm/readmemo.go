package policyvm

import (
	"hash/maphash"
	"slices"
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
// at the end used whole when whole is set. It is a value, so two paths
// compare with ==.
type readPath struct {
	n     uint8
	whole bool
	steps [maxDepth]uint8
	kinds [maxDepth]*RecordKeys
}

// maxDepth bounds a path, and a step is a member's index below 256. The
// input's records nest three deep (input.identity.key) and have a few
// dozen keys at most; an evaluation that reads beyond is not remembered.
const maxDepth = 6

// memoNode reads path and goes on by the value found along edges. A leaf
// (no edges) holds a result (nil: undefined) and the reads no other
// result has branched from yet, each with the value it must find: one
// leaf per result, where a node per read would cost a node and a map for
// every read after the first that differs.
type memoNode struct {
	path   readPath
	edges  map[uint64][]memoEdge
	rest   []memoStep
	result *ast.Term
}

func (n *memoNode) leaf() bool { return n.edges == nil }

// memoStep is a read a leaf still checks.
type memoStep struct {
	path *readPath
	val  *ast.Term
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
	// paths interns the paths leaves read (under mu), so each is kept
	// once however many leaves read it.
	paths map[readPath]*readPath

	hits, misses, skipped atomic.Int64

	// evals counts evaluations; before until, the memo stands aside.
	evals, until atomic.Int64
	// looked counts the current window's lookups, and hitsBefore is hits
	// when it began.
	looked, hitsBefore atomic.Int64
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
func (m *readMemo) tally() {
	if m.looked.Add(1) != window {
		return
	}
	hits := m.hits.Load()
	if (hits-m.hitsBefore.Load())*standRatio < window {
		m.until.Store(m.evals.Load() + standAside)
	}
	m.hitsBefore.Store(hits)
	m.looked.Store(0)
}

// lookup returns the result remembered for root, if any.
func (m *readMemo) lookup(root *Record) (*ast.Term, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	n := m.root
	for n != nil && !n.leaf() {
		v, ok := n.path.value(root)
		if !ok {
			return nil, false
		}
		n = n.next(v, m.hash(v))
	}
	if n == nil {
		return nil, false
	}
	for _, st := range n.rest {
		if v, ok := st.path.value(root); !ok || !identical(v, st.val) {
			return nil, false
		}
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
	var pbuf [16]place
	places := placesOf(root, pbuf[:0])
	// The reads, each once, in the order first read, with their values.
	var sbuf [64]placedRead
	seq := sbuf[:0]
	for _, rd := range reads {
		if slices.ContainsFunc(seq, func(s placedRead) bool { return s.recordRead == rd }) {
			continue
		}
		p, ok := pathOf(rd, places)
		if !ok {
			return false
		}
		v, ok := p.value(root)
		if !ok {
			return false
		}
		seq = append(seq, placedRead{recordRead: rd, path: p, val: v})
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.leaves >= m.maxLeaves {
		m.root, m.leaves, m.paths = nil, 0, nil
	}
	at := &m.root
	for i, rd := range seq {
		n := *at
		switch {
		case n == nil:
			*at = m.leaf(seq[i:], result)
			return true
		case n.leaf():
			return m.split(at, seq[i:], result)
		case rd.path != n.path:
			// Another evaluation read something else here, having read
			// the same before: only a non-deterministic evaluation would.
			return false
		}
		at = n.edge(rd.val, m.hash(rd.val))
	}
	switch n := *at; {
	case n == nil:
		*at = m.leaf(nil, result)
		return true
	case n.leaf() && len(n.rest) == 0:
		return true // remembered already
	}
	return false
}

// edge is where the edge for v leads, added when missing.
func (n *memoNode) edge(v *ast.Term, h uint64) **memoNode {
	es := n.edges[h]
	for k := range es {
		if identical(es[k].val, v) {
			return &es[k].next
		}
	}
	es = append(es, memoEdge{val: v})
	n.edges[h] = es
	return &es[len(es)-1].next
}

// leaf is a new leaf holding result after the reads of seq. The caller
// holds mu.
func (m *readMemo) leaf(seq []placedRead, result *ast.Term) *memoNode {
	n := &memoNode{result: result}
	if len(seq) > 0 {
		n.rest = make([]memoStep, len(seq))
		for i, rd := range seq {
			n.rest[i] = memoStep{path: m.intern(rd.path), val: rd.val}
		}
	}
	m.leaves++
	return n
}

// split files result, after the reads of seq, at the leaf in *at: the
// reads both share become nodes, and where their values part, a node
// branches to the old leaf and a new one. The caller holds mu.
func (m *readMemo) split(at **memoNode, seq []placedRead, result *ast.Term) bool {
	old := *at
	j := 0
	for ; j < len(old.rest) && j < len(seq); j++ {
		if seq[j].path != *old.rest[j].path {
			return false // not deterministic; see remember
		}
		if !identical(seq[j].val, old.rest[j].val) {
			break
		}
	}
	switch {
	case j == len(old.rest) && j == len(seq):
		return true // remembered already
	case j == len(old.rest) || j == len(seq):
		return false // one read more than the other: not deterministic
	}
	for k := 0; k <= j; k++ {
		n := &memoNode{path: *old.rest[k].path, edges: make(map[uint64][]memoEdge, 1)}
		*at = n
		if k == j {
			*n.edge(old.rest[k].val, m.hash(old.rest[k].val)) = &memoNode{rest: old.rest[k+1:], result: old.result}
			*n.edge(seq[k].val, m.hash(seq[k].val)) = m.leaf(seq[k+1:], result)
			return true
		}
		at = n.edge(old.rest[k].val, m.hash(old.rest[k].val))
	}
	return true
}

// intern returns p, shared by every leaf that reads it. The caller holds
// mu.
func (m *readMemo) intern(p readPath) *readPath {
	if q := m.paths[p]; q != nil {
		return q
	}
	if m.paths == nil {
		m.paths = make(map[readPath]*readPath)
	}
	q := &p
	m.paths[p] = q
	return q
}

// place is where a record sits in the input: member of the record at
// places[parent] (-1 for the input itself).
type place struct {
	r              *Record
	parent, member int
}

// placesOf lists the records of the input under root, each at the first
// place found, root first.
func placesOf(root *Record, out []place) []place {
	out = append(out, place{r: root, parent: -1})
	for i := 0; i < len(out); i++ {
		for k, v := range out[i].r.vals {
			child, ok := valueOf(v).(*Record)
			if ok && !slices.ContainsFunc(out, func(p place) bool { return p.r == child }) {
				out = append(out, place{r: child, parent: i, member: k})
			}
		}
	}
	return out
}

// placedRead is a read, its path from the input, and the value it read.
type placedRead struct {
	recordRead
	path readPath
	val  *ast.Term
}

// pathOf is the path from the input to what rd read; false when its
// record is not in the input or lies deeper than maxDepth.
func pathOf(rd recordRead, places []place) (readPath, bool) {
	at := slices.IndexFunc(places, func(p place) bool { return p.r == rd.r })
	if at < 0 {
		return readPath{}, false
	}
	var steps [maxDepth + 1]int
	var kinds [maxDepth + 1]*RecordKeys
	n := 0
	if rd.member >= 0 {
		steps[0], kinds[0], n = rd.member, rd.r.keys, 1
	}
	for i := at; i > 0; i = places[i].parent {
		if n == maxDepth {
			return readPath{}, false
		}
		steps[n], kinds[n] = places[i].member, places[places[i].parent].r.keys
		n++
	}
	p := readPath{n: uint8(n), whole: rd.member < 0} //nolint:gosec // at most maxDepth
	for k := range n {
		// Collected from the read up; a path runs from the input down.
		if steps[n-1-k] > 255 {
			return readPath{}, false
		}
		p.steps[k], p.kinds[k] = uint8(steps[n-1-k]), kinds[n-1-k] //nolint:gosec // checked above
	}
	return p, true
}

// value is what p reads in root; false when root's records do not have
// the kinds p was read from.
func (p *readPath) value(root *Record) (*ast.Term, bool) {
	r := root
	var v *ast.Term
	for k, i := range p.steps[:p.n] {
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
	case p.n == 0:
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
			// Keys and Get rather than Foreach, whose closure would
			// take h to the heap on every lookup.
			for _, k := range x.Keys() {
				h += mix(m.hash(k), m.hash(x.Get(k)))
			}
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
		for _, k := range x.Keys() {
			// Keys from JSON are strings, which Get matches exactly;
			// any other key is not worth the doubt.
			if _, ok := k.Value.(ast.String); !ok || !identical(x.Get(k), y.Get(k)) {
				return false
			}
		}
		return true
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
