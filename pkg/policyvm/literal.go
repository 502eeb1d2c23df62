package policyvm

import (
	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/ir"
)

// The planner builds a collection literal such as ["business_hours",
// "days"] anew each time it is reached: a Make statement, then one append
// or insert per constant element. literal folds such a run into one
// statement that sets the local to a value built at compile time and
// shared by every evaluation.
//
// A shared value must never change, yet the statements that add to a
// collection change it in place. So a folded value carries the sentinel
// location shared, and those statements copy a shared value before the
// first change (copy on write).
var shared = &ast.Location{File: "policyvm: shared literal"}

// literal returns the folded statement and how many statements it
// replaces, or 0 when stmts does not start with a constant literal.
func (c *compiler) literal(stmts []ir.Stmt) (op, int) {
	var (
		coll   ast.Value
		target ir.Local
	)
	switch s := stmts[0].(type) {
	case *ir.MakeArrayStmt:
		coll, target = ast.NewArrayWithCapacity(int(s.Capacity)), s.Target
	case *ir.MakeObjectStmt:
		coll, target = ast.NewObject(), s.Target
	case *ir.MakeSetStmt:
		coll, target = ast.NewSet(), s.Target
	default:
		return nil, 0
	}
	n := 1
	for ; n < len(stmts); n++ {
		next, ok := c.addConstant(coll, target, stmts[n])
		if !ok {
			break
		}
		coll = next
	}
	if n < len(stmts) && addsTo(stmts[n], target) {
		// The literal goes on with elements known only at run time, so
		// it would be copied at once: build it afresh instead.
		return nil, 0
	}
	v := ast.NewTerm(coll)
	v.Location = shared
	dst := c.local(target)
	return func(_ *eval, fr []*ast.Term) int32 { fr[dst] = v; return next }, n
}

// addConstant adds s's element to coll when s adds a constant element to
// target, and reports whether it did.
func (c *compiler) addConstant(coll ast.Value, target ir.Local, s ir.Stmt) (ast.Value, bool) {
	switch s := s.(type) {
	case *ir.ArrayAppendStmt:
		arr, ok := coll.(*ast.Array)
		v, isConst := c.constOperand(s.Value)
		if !ok || s.Array != target || !isConst {
			return coll, false
		}
		return arr.Append(v), true
	case *ir.SetAddStmt:
		set, ok := coll.(ast.Set)
		v, isConst := c.constOperand(s.Value)
		if !ok || s.Set != target || !isConst {
			return coll, false
		}
		set.Add(v)
		return set, true
	case *ir.ObjectInsertStmt:
		return c.insertConstant(coll, target, s.Object, s.Key, s.Value)
	case *ir.ObjectInsertOnceStmt:
		return c.insertConstant(coll, target, s.Object, s.Key, s.Value)
	}
	return coll, false
}

func (c *compiler) insertConstant(coll ast.Value, target, object ir.Local, key, value ir.Operand) (ast.Value, bool) {
	obj, ok := coll.(ast.Object)
	k, constKey := c.constOperand(key)
	v, constValue := c.constOperand(value)
	// A repeated key would be a conflict for the statement to report.
	if !ok || object != target || !constKey || !constValue || obj.Get(k) != nil {
		return coll, false
	}
	obj.Insert(k, v)
	return obj, true
}

// addsTo reports whether s adds an element to the collection in target.
func addsTo(s ir.Stmt, target ir.Local) bool {
	switch s := s.(type) {
	case *ir.ArrayAppendStmt:
		return s.Array == target
	case *ir.SetAddStmt:
		return s.Set == target
	case *ir.ObjectInsertStmt:
		return s.Object == target
	case *ir.ObjectInsertOnceStmt:
		return s.Object == target
	}
	return false
}

// constOperand is o's value when it is a constant operand.
func (c *compiler) constOperand(o ir.Operand) (*ast.Term, bool) {
	if _, ok := isLocal(o); ok {
		return nil, false
	}
	op, err := c.operand(o)
	return op.c, err == nil && op.c != nil
}

// writable returns the collection in fr[l] ready to change: a shared
// literal is copied into the frame first.
func writable(fr []*ast.Term, l int) *ast.Term {
	t := fr[l]
	if t == nil || t.Location != shared {
		return t
	}
	// Most shared literals are empty: a rule's set or object before its
	// first element, often never filled at all.
	switch v := t.Value.(type) {
	case *ast.Array:
		if v.Len() == 0 {
			t = ast.NewTerm(ast.NewArrayWithCapacity(4))
		}
	case ast.Object:
		if v.Len() == 0 {
			t = ast.NewTerm(ast.NewObject())
		}
	case ast.Set:
		if v.Len() == 0 {
			t = ast.NewTerm(ast.NewSet())
		}
	}
	if t == fr[l] {
		t = t.Copy()
		t.Location = nil
	}
	fr[l] = t
	return t
}
