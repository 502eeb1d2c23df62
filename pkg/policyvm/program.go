// Package policyvm evaluates a Rego policy compiled to OPA's intermediate
// representation (the plan that `opa build -t plan` produces) instead of
// interpreting the Rego itself.
//
// OPA's planner has already resolved every rule, reference and iteration
// into straight-line blocks, so evaluation is a walk over pre-resolved
// statements with locals in a flat slab: no unification, no variable
// bindings and no per-expression allocation. Built-in functions are OPA's
// own implementations, called with the same arguments topdown would pass.
//
// Rules and functions that cannot see the input (they read only data and
// their arguments, and call nothing non-deterministic) are computed once
// per Instance and shared by every evaluation against it; see cache.go.
package policyvm

import (
	"errors"
	"fmt"
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/ir"
	"github.com/open-policy-agent/opa/v1/topdown"
)

// ErrUnsupported marks a plan this package cannot run, for example one
// calling a built-in that OPA does not implement in Go. The caller should
// evaluate the policy with OPA's interpreter instead.
var ErrUnsupported = errors.New("policyvm: unsupported plan")

// Program is a compiled plan. It is immutable and safe for concurrent use.
type Program struct {
	funcs   []*function
	byPath  map[string]*function // for data references resolved at run time
	plan    []block
	nlocals int // locals of the plan itself
	strs    []*ast.Term
	pool    *sync.Pool
	// consts and args count the functions with a cache of each kind.
	consts, args int
}

type function struct {
	id      int
	name    string
	params  []ir.Local
	ret     ir.Local
	blocks  []block
	nlocals int
	// memo: a rule (input and data are its only parameters), whose value
	// is computed at most once per evaluation.
	memo bool
	// pure: the result depends on data and the arguments alone, so it can
	// be shared between evaluations of one Instance.
	pure bool
	// args is the index of the function's cache among Instance.args, or
	// -1; consts likewise among Instance.consts.
	args, consts int
}

// block is a compiled ir.Block.
type block []op

// Compile turns a plan into a Program. entrypoint names the plan to run;
// a policy compiled for one entrypoint has exactly one.
func Compile(p *ir.Policy, entrypoint string) (*Program, error) {
	if p == nil || p.Plans == nil || p.Static == nil {
		return nil, fmt.Errorf("%w: empty policy", ErrUnsupported)
	}
	prog := &Program{byPath: map[string]*function{}}
	for _, s := range p.Static.Strings {
		prog.strs = append(prog.strs, ast.StringTerm(s.Value))
	}
	c := &compiler{prog: prog, policy: p, builtins: map[string]*builtin{}, byName: map[string]*function{}}
	if err := c.declareBuiltins(); err != nil {
		return nil, err
	}
	if err := c.declareFuncs(); err != nil {
		return nil, err
	}
	for _, f := range prog.funcs {
		if err := c.compileFunc(f); err != nil {
			return nil, err
		}
	}
	var plan *ir.Plan
	for _, pl := range p.Plans.Plans {
		if pl.Name == entrypoint {
			plan = pl
		}
	}
	if plan == nil {
		return nil, fmt.Errorf("%w: no plan named %q", ErrUnsupported, entrypoint)
	}
	c.locals = 0
	blocks, err := c.blocks(plan.Blocks)
	if err != nil {
		return nil, fmt.Errorf("plan %s: %w", plan.Name, err)
	}
	prog.plan, prog.nlocals = blocks, c.locals
	c.analyse()
	prog.pool = newEvalPool(prog)
	return prog, nil
}

// compiler holds what compiling one plan needs.
type compiler struct {
	prog     *Program
	policy   *ir.Policy
	builtins map[string]*builtin
	byName   map[string]*function
	locals   int // highest local seen in the function being compiled, +1
	// reads records, per function, what it reads that makes it impure.
	facts map[*function]*funcFacts
	cur   *funcFacts
}

func (c *compiler) declareBuiltins() error {
	for _, b := range c.policy.Static.BuiltinFuncs {
		decl, ok := ast.BuiltinMap[b.Name]
		impl := topdown.GetBuiltin(b.Name)
		if !ok || impl == nil {
			return fmt.Errorf("%w: built-in %s has no Go implementation", ErrUnsupported, b.Name)
		}
		if decl.Relation {
			return fmt.Errorf("%w: relation built-in %s", ErrUnsupported, b.Name)
		}
		c.builtins[b.Name] = &builtin{name: b.Name, decl: decl, impl: impl, nondet: Impure(b.Name)}
	}
	return nil
}

func (c *compiler) declareFuncs() error {
	if c.policy.Funcs == nil {
		return nil
	}
	for i, f := range c.policy.Funcs.Funcs {
		if len(f.Params) < 2 {
			return fmt.Errorf("%w: function %s takes %d parameters", ErrUnsupported, f.Name, len(f.Params))
		}
		fn := &function{id: i, name: f.Name, params: f.Params, ret: f.Return, memo: len(f.Params) == 2, args: -1, consts: -1}
		c.prog.funcs = append(c.prog.funcs, fn)
		c.byName[f.Name] = fn
		if len(f.Path) > 0 {
			c.prog.byPath[pathKey(f.Path)] = fn
		}
	}
	return nil
}

func (c *compiler) compileFunc(fn *function) error {
	src := c.policy.Funcs.Funcs[fn.id]
	c.locals = int(fn.ret) + 1
	for _, p := range fn.params {
		c.locals = max(c.locals, int(p)+1)
	}
	c.cur = c.factsOf(fn)
	blocks, err := c.blocks(src.Blocks)
	c.cur = nil
	if err != nil {
		return fmt.Errorf("function %s: %w", fn.name, err)
	}
	fn.blocks, fn.nlocals = blocks, c.locals
	return nil
}

func (c *compiler) blocks(bs []*ir.Block) ([]block, error) {
	out := make([]block, 0, len(bs))
	for _, b := range bs {
		cb, err := c.block(b)
		if err != nil {
			return nil, err
		}
		out = append(out, cb)
	}
	return out, nil
}

func (c *compiler) block(b *ir.Block) (block, error) {
	if b == nil {
		return nil, nil
	}
	out := make(block, 0, len(b.Stmts))
	for i := 0; i < len(b.Stmts); i++ {
		if o, n := c.literal(b.Stmts[i:]); n > 0 {
			out = append(out, o)
			i += n - 1
			continue
		}
		o, err := c.stmt(b.Stmts[i])
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, nil
}

// local records that l is used, so frames are sized to hold it.
func (c *compiler) local(l ir.Local) int {
	c.locals = max(c.locals, int(l)+1)
	return int(l)
}

// operand is a compiled ir.Operand: a constant, or a local to read.
type operand struct {
	c     *ast.Term
	local int
}

// plain returns o's value as the planner makes it: a plan read back from
// JSON holds pointers where the planner's own output holds values.
func plain(o ir.Operand) ir.Val {
	switch v := o.Value.(type) {
	case *ir.Local:
		return *v
	case *ir.Bool:
		return *v
	case *ir.StringIndex:
		return *v
	}
	return o.Value
}

// isLocal reports whether o reads a local, and which.
func isLocal(o ir.Operand) (ir.Local, bool) {
	l, ok := plain(o).(ir.Local)
	return l, ok
}

func (c *compiler) operand(o ir.Operand) (operand, error) {
	switch v := plain(o).(type) {
	case ir.Local:
		c.noteRead(v)
		return operand{local: c.local(v)}, nil
	case ir.Bool:
		return operand{c: ast.BooleanTerm(bool(v))}, nil
	case ir.StringIndex:
		if int(v) < 0 || int(v) >= len(c.prog.strs) {
			return operand{}, fmt.Errorf("%w: string index %d out of range", ErrUnsupported, v)
		}
		return operand{c: c.prog.strs[v]}, nil
	}
	return operand{}, fmt.Errorf("%w: operand %T", ErrUnsupported, o.Value)
}

func (c *compiler) operands(os []ir.Operand) ([]operand, error) {
	out := make([]operand, len(os))
	for i, o := range os {
		var err error
		if out[i], err = c.operand(o); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func pathKey(path []string) string {
	k := ""
	for i, p := range path {
		if i > 0 {
			k += "\x00"
		}
		k += p
	}
	return k
}
