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
// no lock: each hash maps to an immutable slice of entries, replaced whole
// when one is added.
type argCache struct {
	m  sync.Map // uint64 -> []argEntry
	mu sync.Mutex
	n  int // entries, under mu
}

type argEntry struct {
	args []*ast.Term
	v    *ast.Term
}

func hashArgs(args []operand, fr []*ast.Term, e *eval) uint64 {
	h := uint64(len(args))
	for _, a := range args {
		h = h*31 + uint64(e.value(a, fr).Hash()) //nolint:gosec // a hash: wrapping is fine
	}
	return h
}

func (c *argCache) get(args []operand, fr []*ast.Term, e *eval) *ast.Term {
	entries, _ := c.m.Load(hashArgs(args, fr, e))
	for _, ent := range asEntries(entries) {
		if sameArgs(ent.args, args, fr, e) {
			return ent.v
		}
	}
	return nil
}

func asEntries(v any) []argEntry {
	entries, _ := v.([]argEntry)
	return entries
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
	prev, _ := c.m.Load(h)
	entries := asEntries(prev)
	for _, ent := range entries {
		if sameArgs(ent.args, args, fr, e) {
			return
		}
	}
	vals := make([]*ast.Term, len(args))
	for i, a := range args {
		vals[i] = e.value(a, fr)
	}
	c.m.Store(h, append(entries[:len(entries):len(entries)], argEntry{args: vals, v: v}))
	c.n++
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
