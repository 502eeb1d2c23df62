package policyvm

import (
	"fmt"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/ir"
)

// op runs one statement against the current frame and says how control
// continues: next, or out of blocks (see runBlock), or ret or fail.
type op func(e *eval, fr []*ast.Term) int32

// Control codes. A non-negative code n leaves n blocks beyond the current
// one, the way OPA's BreakStmt counts: 0 is "this statement is undefined,
// leave the current block".
const (
	next      int32 = -1
	ret       int32 = -2 // a ReturnLocalStmt ran; leave the function
	fail      int32 = -3 // e.err is set; abandon the evaluation
	undefined int32 = 0
)

// runBlock runs b. It returns next when the block ends normally or is
// left because a statement was undefined, and n-1 for a statement that
// leaves n > 0 blocks, so each enclosing block takes off one.
func runBlock(b block, e *eval, fr []*ast.Term) int32 {
	for _, o := range b {
		if c := o(e, fr); c != next {
			return leave(c)
		}
	}
	return next
}

// leave is what a code means one block further out: the block that a
// statement left with 0 is done and the enclosing one goes on; a larger
// code loses one; ret and fail pass through.
func leave(c int32) int32 {
	switch {
	case c < 0:
		return c
	case c == 0:
		return next
	}
	return c - 1
}

func (c *compiler) stmt(s ir.Stmt) (op, error) {
	switch s := s.(type) {
	case *ir.NopStmt:
		return func(*eval, []*ast.Term) int32 { return next }, nil
	case *ir.BreakStmt:
		if s.Index > 1<<20 {
			return nil, fmt.Errorf("%w: break out of %d blocks", ErrUnsupported, s.Index)
		}
		n := int32(s.Index) //nolint:gosec // bounded above
		return func(*eval, []*ast.Term) int32 { return n }, nil
	case *ir.BlockStmt:
		return c.blockStmt(s)
	case *ir.ScanStmt:
		return c.scanStmt(s)
	case *ir.NotStmt:
		return c.notStmt(s)
	case *ir.WithStmt:
		return c.withStmt(s)
	case *ir.CallStmt:
		return c.callStmt(s)
	case *ir.CallDynamicStmt:
		return c.callDynamicStmt(s)
	case *ir.ReturnLocalStmt:
		src := c.read(s.Source)
		return func(e *eval, fr []*ast.Term) int32 { e.ret = fr[src]; return ret }, nil
	case *ir.ResultSetAddStmt:
		src := c.read(s.Value)
		return func(e *eval, fr []*ast.Term) int32 {
			if v := e.plain(fr[src]); v != nil {
				e.results = append(e.results, v)
			}
			return next
		}, nil
	}
	if o, ok, err := c.valueStmt(s); ok || err != nil {
		return o, err
	}
	if o, ok, err := c.testStmt(s); ok || err != nil {
		return o, err
	}
	if o, ok, err := c.collectionStmt(s); ok || err != nil {
		return o, err
	}
	return nil, fmt.Errorf("%w: statement %T", ErrUnsupported, s)
}

// read is a local read at a statement that names a Local directly.
func (c *compiler) read(l ir.Local) int {
	c.noteRead(l)
	return c.local(l)
}

func (c *compiler) blockStmt(s *ir.BlockStmt) (op, error) {
	blocks, err := c.blocks(s.Blocks)
	if err != nil {
		return nil, err
	}
	// A BlockStmt is not a block of its own: a code from one of its
	// blocks is handed to the enclosing block unchanged.
	return func(e *eval, fr []*ast.Term) int32 {
		for _, b := range blocks {
			if code := runBlock(b, e, fr); code != next {
				return code
			}
		}
		return next
	}, nil
}

func (c *compiler) scanStmt(s *ir.ScanStmt) (op, error) {
	src, key, val := c.read(s.Source), c.local(s.Key), c.local(s.Value)
	body, err := c.block(s.Block)
	if err != nil {
		return nil, err
	}
	// The scan is a loop inside a block: leaving the body's block goes on
	// to the next element, leaving one more ends the scan, and anything
	// beyond is handed on.
	return func(e *eval, fr []*ast.Term) int32 {
		t := e.plain(fr[src])
		if t == nil {
			return next
		}
		e.scans = append(e.scans, scan{body: body, fr: fr, key: key, val: val, code: next})
		switch x := t.Value.(type) {
		case *ast.Array:
			for i := range x.Len() {
				if e.step(ast.InternedTerm(i), x.Elem(i)) {
					break
				}
			}
		case ast.Object:
			_ = x.Iter(e.eachPair)
		case ast.Set:
			_ = x.Iter(e.eachElem)
		}
		code := e.scans[len(e.scans)-1].code
		e.scans[len(e.scans)-1] = scan{}
		e.scans = e.scans[:len(e.scans)-1]
		return leave(code)
	}, nil
}

// scan is a ScanStmt in progress. The scans in progress are a stack in
// the evaluation, so the callbacks OPA's collections take can be made
// once per evaluation rather than once per scan.
type scan struct {
	body     block
	fr       []*ast.Term
	key, val int
	code     int32
}

// step runs the innermost scan's body for one element and reports
// whether the scan should stop.
func (e *eval) step(k, v *ast.Term) bool {
	s := &e.scans[len(e.scans)-1]
	if e.tick() {
		s.code = fail
		return true
	}
	s.fr[s.key], s.fr[s.val] = k, v
	// A scan in the body may grow the stack; look the frame up again.
	code := runBlock(s.body, e, s.fr)
	e.scans[len(e.scans)-1].code = code
	return code != next
}

var errStop = fmt.Errorf("stop")

func (c *compiler) notStmt(s *ir.NotStmt) (op, error) {
	body, err := c.block(s.Block)
	if err != nil {
		return nil, err
	}
	// The negated block is a block: if it runs to its end, the NotStmt
	// is undefined; if a statement in it is undefined, the NotStmt holds.
	return func(e *eval, fr []*ast.Term) int32 {
		for _, o := range body {
			if code := o(e, fr); code != next {
				return leave(code)
			}
		}
		return undefined
	}, nil
}

func (c *compiler) withStmt(s *ir.WithStmt) (op, error) {
	local := c.read(s.Local)
	val, err := c.operand(s.Value)
	if err != nil {
		return nil, err
	}
	path := make([]*ast.Term, len(s.Path))
	for i, p := range s.Path {
		if p < 0 || p >= len(c.prog.strs) {
			return nil, fmt.Errorf("%w: with path string %d out of range", ErrUnsupported, p)
		}
		path[i] = c.prog.strs[p]
	}
	body, err := c.block(s.Block)
	if err != nil {
		return nil, err
	}
	c.noteImpure()
	return func(e *eval, fr []*ast.Term) int32 {
		saved := fr[local]
		fr[local] = upsert(e.plain(saved), path, e.value(val, fr))
		memo := e.pushMemo()
		code := next
		for _, o := range body {
			if code = o(e, fr); code != next {
				if code >= 0 {
					code = undefined
				}
				break
			}
		}
		e.popMemo(memo)
		fr[local] = saved
		return code
	}, nil
}

// upsert returns doc with v at path, copying each object on the way so
// doc itself is unchanged. A missing or non-object step becomes an
// object. With no path, v replaces doc.
func upsert(doc *ast.Term, path []*ast.Term, v *ast.Term) *ast.Term {
	if len(path) == 0 {
		return v
	}
	var obj ast.Object
	if doc != nil {
		if o, ok := doc.Value.(ast.Object); ok {
			obj = o.Copy()
		}
	}
	if obj == nil {
		obj = ast.NewObject()
	}
	obj.Insert(path[0], upsert(obj.Get(path[0]), path[1:], v))
	return ast.NewTerm(obj)
}
