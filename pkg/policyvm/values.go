package policyvm

import (
	"encoding/json"
	"fmt"
	"unicode/utf8"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/ir"
)

// valueStmt compiles the statements that set a local.
func (c *compiler) valueStmt(s ir.Stmt) (op, bool, error) {
	switch s := s.(type) {
	case *ir.AssignVarStmt:
		src, err := c.operand(s.Source)
		dst := c.local(s.Target)
		return func(e *eval, fr []*ast.Term) int32 { fr[dst] = e.raw(src, fr); return next }, true, err
	case *ir.AssignVarOnceStmt:
		src, err := c.operand(s.Source)
		dst := c.local(s.Target)
		return func(e *eval, fr []*ast.Term) int32 {
			v := e.value(src, fr)
			switch cur := fr[dst]; {
			case cur == nil:
				fr[dst] = v
			case v == nil || !equal(cur, v):
				return e.conflict("complete rules must not produce multiple outputs")
			}
			return next
		}, true, err
	case *ir.AssignIntStmt:
		return c.constant(s.Target, ast.IntNumberTerm(int(s.Value))), true, nil
	case *ir.MakeNumberIntStmt:
		return c.constant(s.Target, ast.IntNumberTerm(int(s.Value))), true, nil
	case *ir.MakeNullStmt:
		return c.constant(s.Target, ast.NullTerm()), true, nil
	case *ir.MakeNumberRefStmt:
		if s.Index < 0 || s.Index >= len(c.prog.strs) {
			return nil, true, fmt.Errorf("%w: number string %d out of range", ErrUnsupported, s.Index)
		}
		n := ast.NumberTerm(json.Number(c.prog.strs[s.Index].Value.(ast.String)))
		return c.constant(s.Target, n), true, nil
	case *ir.ResetLocalStmt:
		dst := c.local(s.Target)
		return func(_ *eval, fr []*ast.Term) int32 { fr[dst] = nil; return next }, true, nil
	case *ir.MakeArrayStmt:
		dst, n := c.local(s.Target), int(s.Capacity)
		return func(_ *eval, fr []*ast.Term) int32 {
			fr[dst] = ast.NewTerm(ast.NewArrayWithCapacity(n))
			return next
		}, true, nil
	case *ir.MakeObjectStmt:
		dst := c.local(s.Target)
		return func(_ *eval, fr []*ast.Term) int32 { fr[dst] = ast.NewTerm(ast.NewObject()); return next }, true, nil
	case *ir.MakeSetStmt:
		dst := c.local(s.Target)
		return func(_ *eval, fr []*ast.Term) int32 { fr[dst] = ast.NewTerm(ast.NewSet()); return next }, true, nil
	case *ir.LenStmt:
		src, err := c.operand(s.Source)
		dst := c.local(s.Target)
		return func(e *eval, fr []*ast.Term) int32 {
			fr[dst] = ast.InternedTerm(length(e.value(src, fr)))
			return next
		}, true, err
	case *ir.DotStmt:
		return c.dotStmt(s)
	}
	return nil, false, nil
}

// constant sets a local to a value made at compile time. Scalars are
// never changed in place, so every evaluation can share it.
func (c *compiler) constant(target ir.Local, v *ast.Term) op {
	dst := c.local(target)
	return func(_ *eval, fr []*ast.Term) int32 { fr[dst] = v; return next }
}

func length(t *ast.Term) int {
	if t == nil {
		return 0
	}
	switch v := t.Value.(type) {
	case *ast.Array:
		return v.Len()
	case ast.Object:
		return v.Len()
	case ast.Set:
		return v.Len()
	case ast.String:
		return utf8.RuneCountInString(string(v))
	}
	return 0
}

func (c *compiler) dotStmt(s *ir.DotStmt) (op, bool, error) {
	dst := c.local(s.Target)
	if _, ok := isLocal(s.Source); !ok {
		// A constant string or boolean has no members.
		return func(_ *eval, fr []*ast.Term) int32 { fr[dst] = nil; return undefined }, true, nil
	}
	src, err := c.operand(s.Source)
	if err != nil {
		return nil, true, err
	}
	key, err := c.operand(s.Key)
	return func(e *eval, fr []*ast.Term) int32 {
		v := e.member(fr[src.local], e.value(key, fr))
		fr[dst] = v
		if v == nil {
			return undefined
		}
		return next
	}, true, err
}

// member is coll[key], or nil when coll has no such member. A Record's
// members are read by eval.member, which notes the read.
func member(coll, key *ast.Term) *ast.Term {
	if coll == nil || key == nil {
		return nil
	}
	switch v := coll.Value.(type) {
	case ast.Object:
		return v.Get(key)
	case *ast.Array:
		n, ok := key.Value.(ast.Number)
		if !ok {
			return nil
		}
		i, ok := n.Int()
		if !ok || i < 0 || i >= v.Len() {
			return nil
		}
		return v.Elem(i)
	case ast.Set:
		if v.Contains(key) {
			return key
		}
	}
	return nil
}

// testStmt compiles the statements that only check something.
func (c *compiler) testStmt(s ir.Stmt) (op, bool, error) {
	switch s := s.(type) {
	case *ir.EqualStmt:
		a, errA := c.operand(s.A)
		b, errB := c.operand(s.B)
		return func(e *eval, fr []*ast.Term) int32 {
			if same(e.value(a, fr), e.value(b, fr)) {
				return next
			}
			return undefined
		}, true, firstErr(errA, errB)
	case *ir.NotEqualStmt:
		a, errA := c.operand(s.A)
		b, errB := c.operand(s.B)
		return func(e *eval, fr []*ast.Term) int32 {
			if same(e.value(a, fr), e.value(b, fr)) {
				return undefined
			}
			return next
		}, true, firstErr(errA, errB)
	case *ir.IsArrayStmt:
		return c.isType(s.Source, func(v ast.Value) bool { _, ok := v.(*ast.Array); return ok })
	case *ir.IsObjectStmt:
		return c.isType(s.Source, func(v ast.Value) bool { _, ok := v.(ast.Object); return ok })
	case *ir.IsSetStmt:
		return c.isType(s.Source, func(v ast.Value) bool { _, ok := v.(ast.Set); return ok })
	case *ir.IsDefinedStmt:
		src := c.read(s.Source)
		return func(_ *eval, fr []*ast.Term) int32 {
			if fr[src] == nil {
				return undefined
			}
			return next
		}, true, nil
	case *ir.IsUndefinedStmt:
		src := c.read(s.Source)
		return func(_ *eval, fr []*ast.Term) int32 {
			if fr[src] != nil {
				return undefined
			}
			return next
		}, true, nil
	}
	return nil, false, nil
}

func (c *compiler) isType(o ir.Operand, is func(ast.Value) bool) (op, bool, error) {
	if _, ok := isLocal(o); !ok {
		return func(*eval, []*ast.Term) int32 { return undefined }, true, nil
	}
	src, err := c.operand(o)
	return func(_ *eval, fr []*ast.Term) int32 {
		t := fr[src.local]
		if t == nil {
			return undefined
		}
		v := t.Value
		if _, ok := v.(*Record); ok {
			v = anObject // a record is an object; no need to build it
		}
		if is(v) {
			return next
		}
		return undefined
	}, true, err
}

var anObject = ast.NewObject()

// same is value equality, where two undefined values are the same and an
// undefined value equals nothing defined.
func same(a, b *ast.Term) bool {
	if a == nil || b == nil {
		return a == b
	}
	return equal(a, b)
}

func equal(a, b *ast.Term) bool {
	return a == b || a.Value.Compare(b.Value) == 0
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// collectionStmt compiles the statements that add to a collection. The
// collection was made by this evaluation (Make*Stmt), so it is changed in
// place.
func (c *compiler) collectionStmt(s ir.Stmt) (op, bool, error) {
	switch s := s.(type) {
	case *ir.ArrayAppendStmt:
		v, err := c.operand(s.Value)
		arr := c.read(s.Array)
		return func(e *eval, fr []*ast.Term) int32 {
			x := e.value(v, fr)
			if x == nil || fr[arr] == nil {
				return next
			}
			if _, ok := fr[arr].Value.(*ast.Array); ok {
				t := writable(fr, arr)
				t.Value = t.Value.(*ast.Array).Append(x)
			}
			return next
		}, true, err
	case *ir.SetAddStmt:
		v, err := c.operand(s.Value)
		set := c.read(s.Set)
		return func(e *eval, fr []*ast.Term) int32 {
			x := e.value(v, fr)
			if x == nil || fr[set] == nil {
				return next
			}
			if _, ok := fr[set].Value.(ast.Set); ok {
				writable(fr, set).Value.(ast.Set).Add(x)
			}
			return next
		}, true, err
	case *ir.ObjectInsertStmt:
		return c.objectInsert(s.Key, s.Value, s.Object, false)
	case *ir.ObjectInsertOnceStmt:
		return c.objectInsert(s.Key, s.Value, s.Object, true)
	case *ir.ObjectMergeStmt:
		a, b, dst := c.read(s.A), c.read(s.B), c.local(s.Target)
		return func(e *eval, fr []*ast.Term) int32 {
			m, ok := merge(e.plain(fr[a]), e.plain(fr[b]))
			if !ok {
				return e.conflict("object keys must be unique")
			}
			fr[dst] = m
			return next
		}, true, nil
	}
	return nil, false, nil
}

func (c *compiler) objectInsert(key, value ir.Operand, object ir.Local, once bool) (op, bool, error) {
	k, errK := c.operand(key)
	v, errV := c.operand(value)
	obj := c.read(object)
	return func(e *eval, fr []*ast.Term) int32 {
		kt, vt := e.value(k, fr), e.value(v, fr)
		if kt == nil || vt == nil || fr[obj] == nil {
			return next
		}
		o, ok := fr[obj].Value.(ast.Object)
		if !ok {
			return next
		}
		if once {
			if cur := o.Get(kt); cur != nil && !equal(cur, vt) {
				return e.conflict("object keys must be unique")
			}
		}
		writable(fr, obj).Value.(ast.Object).Insert(kt, vt)
		return next
	}, true, firstErr(errK, errV)
}

// merge joins two documents at one path, base data (a) and the values of
// rules (b): objects are merged key by key, and where both hold something
// else, the base document wins, as it does in topdown.
func merge(a, b *ast.Term) (*ast.Term, bool) {
	switch {
	case a == nil:
		return b, true
	case b == nil:
		return a, true
	}
	oa, okA := a.Value.(ast.Object)
	ob, okB := b.Value.(ast.Object)
	if !okA || !okB {
		return nil, false
	}
	out := oa.Copy()
	ob.Foreach(func(k, vb *ast.Term) {
		va := out.Get(k)
		if va == nil {
			out.Insert(k, vb)
			return
		}
		_, objA := va.Value.(ast.Object)
		_, objB := vb.Value.(ast.Object)
		if objA && objB {
			m, _ := merge(va, vb)
			out.Insert(k, m)
		}
	})
	return ast.NewTerm(out), true
}
