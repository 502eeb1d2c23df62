package policy

import (
	"slices"

	"github.com/open-policy-agent/opa/v1/ast"
)

// Some members of the input cost Sluice work to fill: the input-token
// estimate means tokenizing the whole prompt. Sluice fills such a member
// only when the policy can read it, which the compiled policy tells
// without running it.

// tokenEstimatePath is input.request.input_tokens_estimate.
var tokenEstimatePath = []string{"request", "input_tokens_estimate"}

// readsInput reports whether the compiled policy may read input member
// path. It does when a ref names the member, or names one of the objects
// above it whole (input.request passed to a function, iterated, assigned
// to a rule, given to walk), or reaches into one of those objects with a
// key that is not a constant string (input.request[k]). object.get with a
// constant key path is read as the ref it names. The answer errs towards
// yes: a false yes costs a count, a false no would show the policy a
// zero.
func readsInput(c *ast.Compiler, path []string) bool {
	for _, m := range c.Modules {
		for _, r := range m.Rules {
			if newRuleReads(r).reads(r, path) {
				return true
			}
		}
	}
	return false
}

// ruleReads judges one compiled rule. The compiler binds parts of the
// input to local variables before using them (object.get(input, ...)
// becomes __local1__ = input; object.get(__local1__, ...), and r :=
// input.request stays a binding), so a variable bound to an input ref is
// judged as that ref wherever it is used.
type ruleReads struct {
	// aliases are the input refs each variable is bound to; a variable
	// bound more than once is judged as each of them.
	aliases map[ast.Var][]ast.Ref
	// bindings are the expressions that bind them, which are not reads
	// themselves.
	bindings map[*ast.Expr]bool
	// unsure is set when the bindings did not settle (a variable unified
	// with a ref of itself), and then the rule counts as reading
	// everything.
	unsure bool
}

func newRuleReads(r *ast.Rule) *ruleReads {
	rr := &ruleReads{aliases: map[ast.Var][]ast.Ref{}, bindings: map[*ast.Expr]bool{}}
	var binds []*ast.Expr
	ast.WalkExprs(r, func(e *ast.Expr) bool {
		if ops := e.Operands(); (e.IsEquality() || e.IsAssignment()) && len(ops) == 2 {
			binds = append(binds, e)
		}
		return false
	})
	// A binding may name a variable bound later in the body's text
	// (__local2__ = __local1__.request before __local1__ = input), and a
	// variable may be bound twice, so every binding is read again until
	// no variable gains a ref. Each round that goes on adds one at
	// least; bindings that keep adding (x = x.labels) would never stop.
	for round := 0; ; round++ {
		if round > len(binds) {
			rr.unsure = true
			break
		}
		if !rr.bindRound(binds) {
			break
		}
	}
	return rr
}

// bindRound adds the input refs each binding gives its variable; false
// when none was new.
func (rr *ruleReads) bindRound(binds []*ast.Expr) bool {
	added := false
	for _, e := range binds {
		ops := e.Operands()
		for i := range 2 {
			v, ok := ops[i].Value.(ast.Var)
			if !ok {
				continue
			}
			refs, ok := rr.inputRefs(ops[1-i])
			if !ok {
				continue
			}
			rr.bindings[e] = true
			for _, ref := range refs {
				if !slices.ContainsFunc(rr.aliases[v], func(a ast.Ref) bool { return a.Equal(ref) }) {
					rr.aliases[v] = append(rr.aliases[v], ref)
					added = true
				}
			}
		}
	}
	return added
}

// inputRefs is t as the input refs it stands for: an input ref, the input
// itself, or a ref or variable rooted at a variable bound to them. The
// refs a variable is bound to are rooted at input, so one step resolves
// it.
func (rr *ruleReads) inputRefs(t *ast.Term) ([]ast.Ref, bool) {
	var ref ast.Ref
	switch v := t.Value.(type) {
	case ast.Ref:
		ref = v
	case ast.Var:
		ref = ast.Ref{t}
	default:
		return nil, false
	}
	if len(ref) == 0 {
		return nil, false
	}
	if ref[0].Equal(ast.InputRootDocument) {
		return []ast.Ref{ref}, true
	}
	v, ok := ref[0].Value.(ast.Var)
	bases := rr.aliases[v]
	if !ok || len(bases) == 0 {
		return nil, false
	}
	out := make([]ast.Ref, len(bases))
	for i, base := range bases {
		out[i] = append(base.Copy(), ref[1:]...)
	}
	return out, true
}

// reads reports whether anything within x may read input member path.
func (rr *ruleReads) reads(x any, path []string) bool {
	reads := rr.unsure
	vis := ast.NewGenericVisitor(func(n any) bool {
		if reads {
			return true
		}
		switch v := n.(type) {
		case *ast.Expr:
			switch {
			case rr.bindings[v]:
				// Binding an object above the member is not a read of
				// it; using the variable is. Binding the member, or
				// iterating an object above it, is; and so may be what
				// the bound ref's keys compute.
				for _, op := range v.Operands() {
					refs, ok := rr.inputRefs(op)
					if !ok {
						continue
					}
					for _, r := range refs {
						reads = reads || !refAbove(r, path) && refReads(r, path)
					}
					if r, ok := op.Value.(ast.Ref); ok {
						reads = reads || rr.anyRead(r[1:], path)
					}
				}
				return true
			case v.IsCall():
				reads = rr.callReads(v.Operator(), v.Operands(), path)
				return true
			}
		case ast.Call:
			if len(v) == 0 {
				return false
			}
			if op, ok := v[0].Value.(ast.Ref); ok {
				reads = rr.callReads(op, v[1:], path)
				return true
			}
		case *ast.Term:
			if refs, ok := rr.inputRefs(v); ok {
				// An input ref, or a variable bound to one, used as it
				// is; then what its keys compute
				// (input.x[input.request.input_tokens_estimate]).
				reads = anyRefReads(refs, path)
				if r, ok := v.Value.(ast.Ref); ok {
					reads = reads || rr.anyRead(r[1:], path)
				}
				return true
			}
		}
		return reads || rr.unsure
	})
	vis.Walk(x)
	return reads || rr.unsure
}

// callReads judges a call of op with args. object.get(input, ["request",
// "model"], d) is how policies read a member that may be missing, so a
// constant key path on an input ref is judged as the ref it names; any
// other call uses its arguments whole.
func (rr *ruleReads) callReads(op ast.Ref, args []*ast.Term, path []string) bool {
	if op.Equal(objectGet) && len(args) >= 2 {
		if bases, ok := rr.inputRefs(args[0]); ok {
			if keys, ok := constKeys(args[1]); ok {
				for _, base := range bases {
					if refReads(append(base.Copy(), keys...), path) {
						return true
					}
				}
				if r, ok := args[0].Value.(ast.Ref); ok && rr.anyRead(r[1:], path) {
					return true
				}
				return rr.anyRead(args[2:], path)
			}
		}
	}
	return rr.anyRead(args, path)
}

var objectGet = ast.MustParseRef("object.get")

// constKeys is object.get's key argument as ref keys: a string, or an
// array of strings.
func constKeys(t *ast.Term) ([]*ast.Term, bool) {
	switch v := t.Value.(type) {
	case ast.String:
		return []*ast.Term{t}, true
	case *ast.Array:
		keys := make([]*ast.Term, 0, v.Len())
		for i := range v.Len() {
			if _, ok := v.Elem(i).Value.(ast.String); !ok {
				return nil, false
			}
			keys = append(keys, v.Elem(i))
		}
		return keys, true
	}
	return nil, false
}

func (rr *ruleReads) anyRead(ts []*ast.Term, path []string) bool {
	for _, t := range ts {
		if rr.reads(t, path) {
			return true
		}
	}
	return false
}

func anyRefReads(refs []ast.Ref, path []string) bool {
	for _, r := range refs {
		if refReads(r, path) {
			return true
		}
	}
	return false
}

// refReads reports whether input ref r may read path.
func refReads(r ast.Ref, path []string) bool {
	for i, want := range path {
		if len(r) == i+1 {
			return true // an object above the member, whole
		}
		k, ok := r[i+1].Value.(ast.String)
		if !ok {
			return true // a key computed at evaluation, or a non-string key a policy could not mean
		}
		if string(k) != want {
			return false
		}
	}
	return true // the member itself, or something inside it
}

// refAbove reports whether input ref r names, by constant keys, one of
// the objects above path's member (input, input.request), whole.
func refAbove(r ast.Ref, path []string) bool {
	if len(r) > len(path) {
		return false
	}
	for i, k := range r[1:] {
		if s, ok := k.Value.(ast.String); !ok || string(s) != path[i] {
			return false
		}
	}
	return true
}
