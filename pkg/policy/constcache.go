package policy

import (
	"slices"
	"sync"
	"sync/atomic"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/topdown"

	"github.com/sluice-gw/sluice/pkg/policyvm"
)

// A rule or function whose value depends on nothing but data (no input, no
// clock, no randomness, no with) has the same value in every evaluation
// against one store. OPA caches rule values for one query only; Sluice
// keeps those of such constant rules, and of constant functions per
// argument, for as long as the state lives, so that a policy can precompute
// per-tenant or per-model facts in Rego and pay for them once.
//
// The cache is correct by construction: a value is only shared when its
// rule was proved constant from the compiled policy, it is only taken from
// an evaluation that finished without error, and a new policy, catalogue
// or data builds a new state with an empty cache.

// maxConstEntries bounds the values kept per state: a constant function
// called with an argument that keeps changing (the request's hour, say)
// cannot grow the cache without limit. When it is full the cache starts
// afresh, which costs the values' recomputation and nothing else.
const maxConstEntries = 1 << 16

// constRules knows which rules of a compiled policy are constant.
type constRules struct {
	root *constNode
}

// constNode is one step of a rule path (data, "sluice", "catalogue", ...).
type constNode struct {
	children map[string]*constNode
	// rules is set when rules are defined at this path; constant when
	// every one of them is.
	rules, constant bool
	// subtreeConstant is false when any rule at or below this path is not
	// constant.
	subtreeConstant bool
}

// findConstRules works out, for every rule of c, whether it is constant: it
// reads no input, calls no non-deterministic built-in, uses no with, and
// every rule it refers to (as far as its refs can tell) is constant.
func findConstRules(c *ast.Compiler) *constRules {
	deps := map[*ast.Rule][]*ast.Rule{}
	constant := map[*ast.Rule]bool{}
	var all []*ast.Rule
	c.RuleTree.DepthFirst(func(n *ast.TreeNode) bool {
		all = append(all, n.Values...)
		return false
	})
	for _, r := range all {
		ok := true
		var refs []*ast.Rule
		call := func(name string) {
			if policyvm.Impure(name) {
				ok = false
			}
		}
		vis := ast.NewGenericVisitor(func(x any) bool {
			if !ok {
				return true
			}
			switch x := x.(type) {
			case *ast.Expr:
				if len(x.With) > 0 {
					ok = false
				}
				if x.IsCall() {
					call(x.Operator().String())
				}
			case ast.Call:
				if len(x) > 0 {
					call(x[0].String())
				}
			case ast.Ref:
				switch {
				case x.HasPrefix(ast.InputRootRef):
					ok = false
				case x.HasPrefix(ast.DefaultRootRef):
					refs = append(refs, c.GetRulesDynamicWithOpts(x, ast.RulesOptions{IncludeHiddenModules: true})...)
				}
			}
			return false
		})
		vis.Walk(r)
		constant[r] = ok
		deps[r] = refs
	}
	for changed := true; changed; {
		changed = false
		for _, r := range all {
			if !constant[r] {
				continue
			}
			for _, d := range deps[r] {
				if !constant[d] {
					constant[r], changed = false, true
					break
				}
			}
		}
	}
	cr := &constRules{root: &constNode{subtreeConstant: true}}
	for _, r := range all {
		n := cr.root
		path := r.Ref().GroundPrefix()
		for i, t := range path {
			k, ok := constKey(t, i == 0)
			if !ok {
				break
			}
			n = n.child(k)
		}
		if !n.rules {
			n.rules, n.constant = true, true
		}
		n.constant = n.constant && constant[r]
	}
	cr.root.settle()
	return cr
}

func (n *constNode) child(k string) *constNode {
	if n.children == nil {
		n.children = map[string]*constNode{}
	}
	c := n.children[k]
	if c == nil {
		c = &constNode{}
		n.children[k] = c
	}
	return c
}

func (n *constNode) settle() bool {
	n.subtreeConstant = !n.rules || n.constant
	for _, c := range n.children {
		if !c.settle() {
			n.subtreeConstant = false
		}
	}
	return n.subtreeConstant
}

// constKey is the trie key of a path element: the root var (data), or a
// string. Other elements end the walk.
func constKey(t *ast.Term, head bool) (string, bool) {
	switch v := t.Value.(type) {
	case ast.Var:
		return string(v), head
	case ast.String:
		return string(v), !head
	}
	return "", false
}

// constant reports whether a virtual-cache key of OPA's names a constant
// value: a rule path (data.a.b.rule[key]...) or a function call (the
// function's ref, then its arguments).
func (cr *constRules) constant(key ast.Ref) bool {
	if len(key) == 0 {
		return false
	}
	path := key
	if fn, ok := key[0].Value.(ast.Ref); ok {
		path = fn
	}
	n, sawRules := cr.root, false
	for i, t := range path {
		k, ok := constKey(t, i == 0)
		if !ok {
			break
		}
		c := n.children[k]
		if c == nil {
			break
		}
		n = c
		if n.rules {
			if !n.constant {
				return false
			}
			sawRules = true
		}
	}
	return sawRules && n.subtreeConstant
}

// constCache holds one state's constant values: reads take no lock, and
// an evaluation that found new values adds them under one.
type constCache struct {
	rules *constRules
	mu    sync.Mutex
	// values maps a key's hash to the entries with that hash, as an
	// immutable []constEntry.
	values sync.Map
	n      atomic.Int64
}

type constEntry struct {
	key   ast.Ref
	value *ast.Term // nil: undefined
}

func newConstCache(rules *constRules) *constCache { return &constCache{rules: rules} }

func (c *constCache) get(key ast.Ref) (constEntry, bool) {
	es, ok := c.values.Load(key.Hash())
	if !ok {
		return constEntry{}, false
	}
	for _, e := range es.([]constEntry) {
		if e.key.Equal(key) {
			return e, true
		}
	}
	return constEntry{}, false
}

// add keeps the values an evaluation computed, once it has succeeded.
func (c *constCache) add(entries []constEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range entries {
		if c.n.Load() >= maxConstEntries {
			c.values.Clear()
			c.n.Store(0)
		}
		h := e.key.Hash()
		var es []constEntry
		if v, ok := c.values.Load(h); ok {
			es = v.([]constEntry)
		}
		if slices.ContainsFunc(es, func(x constEntry) bool { return x.key.Equal(e.key) }) {
			continue
		}
		c.values.Store(h, append(es[:len(es):len(es)], e))
		c.n.Add(1)
	}
}

// evalCache is the virtual cache of one evaluation: OPA's own, in front of
// the state's constant values. Inside a with (a pushed frame) the constant
// values do not apply, since with may replace the data they came from.
type evalCache struct {
	topdown.VirtualCache
	shared  *constCache
	depth   int
	pending []constEntry
}

func newEvalCache(shared *constCache) *evalCache {
	return &evalCache{VirtualCache: topdown.NewVirtualCache(), shared: shared}
}

func (c *evalCache) Push() { c.depth++; c.VirtualCache.Push() }

func (c *evalCache) Pop() { c.depth--; c.VirtualCache.Pop() }

func (c *evalCache) Get(ref ast.Ref) (*ast.Term, bool) {
	v, undefined := c.VirtualCache.Get(ref)
	if v != nil || undefined || c.depth > 0 || !c.shared.rules.constant(ref) {
		return v, undefined
	}
	if e, ok := c.shared.get(ref); ok {
		return e.value, e.value == nil
	}
	return nil, false
}

func (c *evalCache) Put(ref ast.Ref, value *ast.Term) {
	c.VirtualCache.Put(ref, value)
	if c.depth == 0 && c.shared.rules.constant(ref) {
		// OPA reuses the key's backing array.
		c.pending = append(c.pending, constEntry{key: append(ast.Ref(nil), ref...), value: value})
	}
}

// commit shares what a successful evaluation computed.
func (c *evalCache) commit() {
	if len(c.pending) > 0 {
		c.shared.add(c.pending)
	}
}
