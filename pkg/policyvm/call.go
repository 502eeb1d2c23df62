package policyvm

import (
	"errors"
	"fmt"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/ir"
	"github.com/open-policy-agent/opa/v1/topdown"
)

// builtin is one of OPA's built-in functions, as topdown implements it.
type builtin struct {
	name   string
	decl   *ast.Builtin
	impl   topdown.BuiltinFunc
	nondet bool
}

// Impure reports whether a call of the built-in name may give another
// value, or do something else, for the same arguments: OPA's
// non-deterministic built-ins (the clock, randomness, HTTP, opa.runtime,
// JWT verification), and those it does not flag that act (print, trace)
// or read the evaluation's caller or clock (rule metadata; certificate
// verification checks validity against the current time). A value that
// depends on such a call is never shared between evaluations, nor
// remembered.
func Impure(name string) bool {
	if b, ok := ast.BuiltinMap[name]; ok && b.Nondeterministic {
		return true
	}
	return alsoImpure[name]
}

var alsoImpure = map[string]bool{
	"print": true, "internal.print": true, "trace": true,
	"rego.metadata.chain": true, "rego.metadata.rule": true,
	"crypto.x509.parse_and_verify_certificates":              true,
	"crypto.x509.parse_and_verify_certificates_with_options": true,
}

func (c *compiler) callStmt(s *ir.CallStmt) (op, error) {
	dst := c.local(s.Result)
	if b, ok := c.builtins[s.Func]; ok {
		args, err := c.operands(s.Args)
		if err != nil {
			return nil, err
		}
		if b.nondet {
			c.noteImpure()
		}
		if s.Func == "object.get" && len(args) == 3 {
			return func(e *eval, fr []*ast.Term) int32 { return e.objectGet(args, fr, dst) }, nil
		}
		if b.nondet {
			return func(e *eval, fr []*ast.Term) int32 {
				e.impure = true
				return e.callBuiltin(b, args, fr, dst)
			}, nil
		}
		return func(e *eval, fr []*ast.Term) int32 { return e.callBuiltin(b, args, fr, dst) }, nil
	}
	fn, ok := c.byName[s.Func]
	if !ok {
		return nil, fmt.Errorf("%w: call to unknown function %s", ErrUnsupported, s.Func)
	}
	if len(s.Args) != len(fn.params) {
		return nil, fmt.Errorf("%w: %s called with %d arguments, wants %d", ErrUnsupported, s.Func, len(s.Args), len(fn.params))
	}
	args, err := c.callArgs(fn, s.Args)
	if err != nil {
		return nil, err
	}
	return func(e *eval, fr []*ast.Term) int32 {
		v, code := e.call(fn, args, fr)
		if code != next {
			return code
		}
		fr[dst] = v
		if v == nil {
			return undefined
		}
		return next
	}, nil
}

// callArgs compiles a call's arguments. Passing the caller's own input
// on as the callee's input is not a read of it: whether that matters
// depends on the callee, which the analysis follows.
func (c *compiler) callArgs(fn *function, in []ir.Operand) ([]operand, error) {
	out := make([]operand, len(in))
	for i, a := range in {
		if l, ok := isLocal(a); ok && i == 0 && c.cur != nil && l == c.cur.input {
			c.cur.calls = append(c.cur.calls, fn)
			out[i] = operand{local: c.local(l)}
			continue
		}
		if i == 0 && c.cur != nil {
			// Someone else's input: the callee sees something this
			// function made, so this function cannot be shared.
			c.cur.impure = true
			c.cur.calls = append(c.cur.calls, fn)
		}
		var err error
		if out[i], err = c.operand(a); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// callBuiltin calls b the way topdown does: an error, unless it halts,
// makes the call undefined rather than failing the evaluation.
func (e *eval) callBuiltin(b *builtin, args []operand, fr []*ast.Term, dst int) int32 {
	base := len(e.scratch)
	for _, a := range args {
		v := e.value(a, fr)
		if v == nil {
			e.scratch = e.scratch[:base]
			fr[dst] = nil
			return undefined
		}
		e.scratch = append(e.scratch, v)
	}
	e.out = nil
	bctx := e.builtinContext()
	err := b.impl(*bctx, e.scratch[base:], e.emit)
	clear(e.scratch[base:])
	e.scratch = e.scratch[:base]
	if err != nil {
		var halt topdown.Halt
		if errors.As(err, &halt) {
			e.err = halt.Err
			return fail
		}
		fr[dst] = nil
		return undefined
	}
	if e.out == nil {
		if b.decl.Decl.Result() == nil {
			fr[dst] = ast.InternedTerm(true)
			return next
		}
		fr[dst] = nil
		return undefined
	}
	fr[dst] = e.out
	return next
}

// objectGet is OPA's object.get, run in place: policies call it for most
// of what they read from the input (object.get(input, ["identity",
// "tenant"], "")), and it reads a Record's members without building the
// record's object. As topdown's, it is undefined when its first argument
// is not an object, and follows a path of keys through objects, arrays
// (by index) and sets (by member).
func (e *eval) objectGet(args []operand, fr []*ast.Term, dst int) int32 {
	obj, key, def := e.raw(args[0], fr), e.value(args[1], fr), e.value(args[2], fr)
	if obj == nil || key == nil || def == nil {
		fr[dst] = nil
		return undefined
	}
	switch obj.Value.(type) {
	case *Record, ast.Object:
	default:
		fr[dst] = nil
		return undefined
	}
	v := obj
	if path, ok := key.Value.(*ast.Array); ok {
		for i := range path.Len() {
			if v = e.member(v, path.Elem(i)); v == nil {
				break
			}
		}
	} else {
		v = e.member(obj, key)
	}
	if v == nil {
		v = def
	}
	fr[dst] = v
	return next
}

func (c *compiler) callDynamicStmt(s *ir.CallDynamicStmt) (op, error) {
	c.noteImpure()
	args := make([]operand, len(s.Args))
	for i, a := range s.Args {
		args[i] = operand{local: c.read(a)}
	}
	path, err := c.operands(s.Path)
	if err != nil {
		return nil, err
	}
	dst := c.local(s.Result)
	return func(e *eval, fr []*ast.Term) int32 {
		var key strings.Builder
		for i, p := range path {
			t := e.value(p, fr)
			if t == nil {
				return undefined
			}
			s, ok := t.Value.(ast.String)
			if !ok {
				return undefined
			}
			if i > 0 {
				key.WriteByte(0)
			}
			key.WriteString(string(s))
		}
		fn := e.prog.byPath[key.String()]
		if fn == nil || len(fn.params) != len(args) {
			// Not a rule: the planner's next block reads the data.
			return undefined
		}
		v, code := e.call(fn, args, fr)
		if code != next {
			return code
		}
		if v == nil {
			// A rule that is undefined is the answer: skip the data
			// lookup the planner put after the call as well.
			return 3
		}
		fr[dst] = v
		return next
	}, nil
}

// call runs fn with args read from the caller's frame. It returns the
// result (nil when undefined) and next, or fail.
func (e *eval) call(fn *function, args []operand, caller []*ast.Term) (*ast.Term, int32) {
	if fn.memo {
		if m := &e.memo[fn.id]; m.done {
			return m.v, next
		}
	}
	shared := fn.pure && e.withDepth == 0
	if shared {
		if v, ok := e.inst.lookup(fn, args, caller, e); ok {
			return v, next
		}
	}
	if e.tick() {
		return nil, fail
	}
	fr, restore := e.push(fn.nlocals)
	for i, p := range fn.params {
		fr[p] = e.raw(args[i], caller)
	}
	e.ret = nil
	for _, b := range fn.blocks {
		code := runBlock(b, e, fr)
		if code == fail {
			e.pop(restore)
			return nil, fail
		}
		if code == ret {
			break
		}
	}
	v := e.ret
	e.ret = nil
	e.pop(restore)
	if fn.memo {
		e.memo[fn.id] = memoSlot{done: true, v: v}
	}
	if shared {
		e.inst.store(fn, args, caller, v, e)
	}
	return v, next
}
