package policyvm

import (
	"sync"
	"sync/atomic"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/ir"
)

// Instance is a Program bound to one data document. Values that depend
// only on that data are computed once and shared by all its evaluations,
// so a new data document needs a new Instance. Safe for concurrent use.
type Instance struct {
	prog   *Program
	data   *ast.Term
	consts []atomic.Pointer[ast.Term]
	args   []argCache
	memo   *readMemo // nil unless RememberResults
}

// maxArgEntries bounds each function's cache. Arguments come from
// requests (a tenant, a model), so a cache without a bound would grow
// with whatever callers send; past it, the function is simply evaluated.
const maxArgEntries = 4096

// undefinedResult marks a cached undefined value.
var undefinedResult = &ast.Term{Value: ast.Null{}}

// Instance binds the program to data, the document `data` refers to.
func (p *Program) Instance(data *ast.Term) *Instance {
	if data == nil {
		data = ast.NewTerm(ast.NewObject())
	}
	in := &Instance{prog: p, data: data, consts: make([]atomic.Pointer[ast.Term], p.consts), args: make([]argCache, p.args)}
	return in
}

func (in *Instance) lookup(fn *function, args []operand, fr []*ast.Term, e *eval) (*ast.Term, bool) {
	var v *ast.Term
	if fn.consts >= 0 {
		v = in.consts[fn.consts].Load()
	} else {
		v = in.args[fn.args].get(args[2:], fr, e)
	}
	switch v {
	case nil:
		return nil, false
	case undefinedResult:
		return nil, true
	}
	return v, true
}

func (in *Instance) store(fn *function, args []operand, fr []*ast.Term, v *ast.Term, e *eval) {
	if v == nil {
		v = undefinedResult
	}
	if fn.consts >= 0 {
		in.consts[fn.consts].Store(v)
		return
	}
	in.args[fn.args].put(args[2:], fr, v, e)
}

// argCache holds one function's results by argument values. Reads take
// no lock and allocate nothing: a table of slots, each an immutable set of
// entries for one hash, found by open addressing. Writers, under mu,
// replace a slot's set whole, and the table whole when it fills past half.
type argCache struct {
	t  atomic.Pointer[argTable]
	mu sync.Mutex
	n  int // entries, under mu
}

type argTable struct {
	shift uint8 // 64 - log2(len(slots))
	used  int   // slots holding a hash, under the cache's mu
	slots []atomic.Pointer[argSlot]
}

// argSlot is the entries of one hash.
type argSlot struct {
	h       uint64
	entries []argEntry
}

type argEntry struct {
	args []*ast.Term
	v    *ast.Term
}

// minArgSlots is a new table's size; it doubles as entries come.
const minArgSlots = 16

func newArgTable(slots int) *argTable {
	t := &argTable{shift: 64, slots: make([]atomic.Pointer[argSlot], slots)}
	for n := slots; n > 1; n >>= 1 {
		t.shift--
	}
	return t
}

// home is h's first slot. Fibonacci hashing spreads hashArgs's
// polynomial sums, whose low bits alone cluster, over the whole table.
func (t *argTable) home(h uint64) int {
	return int((h * 0x9e3779b97f4a7c15) >> t.shift) //nolint:gosec // below len(slots)
}

// find is h's slot, or nil when the table holds no entry for h.
func (t *argTable) find(h uint64) *argSlot {
	mask := len(t.slots) - 1
	for i := t.home(h); ; i = (i + 1) & mask {
		s := t.slots[i].Load()
		if s == nil || s.h == h {
			return s
		}
	}
}

// set stores s in h's slot, or in the first free one. The caller holds
// the cache's mu and leaves a free slot.
func (t *argTable) set(s *argSlot) {
	mask := len(t.slots) - 1
	for i := t.home(s.h); ; i = (i + 1) & mask {
		old := t.slots[i].Load()
		if old == nil || old.h == s.h {
			if old == nil {
				t.used++
			}
			t.slots[i].Store(s)
			return
		}
	}
}

func hashArgs(args []operand, fr []*ast.Term, e *eval) uint64 {
	h := uint64(len(args))
	for _, a := range args {
		h = h*31 + uint64(e.value(a, fr).Hash()) //nolint:gosec // a hash: wrapping is fine
	}
	return h
}

// find is h's slot, or nil when the cache holds nothing for h.
func (c *argCache) find(h uint64) *argSlot {
	if t := c.t.Load(); t != nil {
		return t.find(h)
	}
	return nil
}

func (c *argCache) get(args []operand, fr []*ast.Term, e *eval) *ast.Term {
	s := c.find(hashArgs(args, fr, e))
	if s == nil {
		return nil
	}
	for _, ent := range s.entries {
		if sameArgs(ent.args, args, fr, e) {
			return ent.v
		}
	}
	return nil
}

func sameArgs(have []*ast.Term, args []operand, fr []*ast.Term, e *eval) bool {
	for i, a := range args {
		if !equal(have[i], e.value(a, fr)) {
			return false
		}
	}
	return true
}

func (c *argCache) put(args []operand, fr []*ast.Term, v *ast.Term, e *eval) {
	h := hashArgs(args, fr, e)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n >= maxArgEntries {
		return
	}
	var entries []argEntry
	if s := c.find(h); s != nil {
		for _, ent := range s.entries {
			if sameArgs(ent.args, args, fr, e) {
				return
			}
		}
		entries = s.entries
	}
	vals := make([]*ast.Term, len(args))
	for i, a := range args {
		vals[i] = e.value(a, fr)
	}
	// A new set in a new slot: a slot, once published, never changes,
	// so a reader holding it needs no lock.
	c.add(&argSlot{h: h, entries: append(entries[:len(entries):len(entries)], argEntry{args: vals, v: v})})
	c.n++
}

// add stores s, replacing the slot of its hash, and doubles the table
// once it is more than half full. The caller holds mu.
func (c *argCache) add(s *argSlot) {
	t := c.t.Load()
	if t == nil {
		t = newArgTable(minArgSlots)
		c.t.Store(t)
	}
	t.set(s)
	if 2*t.used <= len(t.slots) {
		return
	}
	// Readers still on the old table see what it held, and miss the rest
	// until they load the new one.
	grown := newArgTable(2 * len(t.slots))
	for i := range t.slots {
		if old := t.slots[i].Load(); old != nil {
			grown.set(old)
		}
	}
	c.t.Store(grown)
}

// funcFacts is what a function does that decides whether it may be shared.
type funcFacts struct {
	input  ir.Local // its input parameter
	impure bool     // reads input, or something non-deterministic
	calls  []*function
}

func (c *compiler) factsOf(fn *function) *funcFacts {
	if c.facts == nil {
		c.facts = map[*function]*funcFacts{}
	}
	f := &funcFacts{input: fn.params[0]}
	c.facts[fn] = f
	return f
}

func (c *compiler) noteRead(l ir.Local) {
	if c.cur != nil && l == c.cur.input {
		c.cur.impure = true
	}
}

// noteImpure marks the function being compiled as one whose value may
// not be shared: it calls something non-deterministic, uses with, or
// calls a rule chosen at run time.
func (c *compiler) noteImpure() {
	if c.cur != nil {
		c.cur.impure = true
	}
}

// analyse marks the functions whose results may be shared: those that do
// nothing impure and call only functions that may be shared.
func (c *compiler) analyse() {
	for _, fn := range c.prog.funcs {
		fn.pure = !c.facts[fn].impure
	}
	for changed := true; changed; {
		changed = false
		for _, fn := range c.prog.funcs {
			if !fn.pure {
				continue
			}
			for _, callee := range c.facts[fn].calls {
				if !callee.pure {
					fn.pure, changed = false, true
					break
				}
			}
		}
	}
	for _, fn := range c.prog.funcs {
		switch {
		case !fn.pure:
		case fn.memo:
			fn.consts = c.prog.consts
			c.prog.consts++
		default:
			fn.args = c.prog.args
			c.prog.args++
		}
	}
}
