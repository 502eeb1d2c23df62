package policyvm

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/ir"
	"github.com/open-policy-agent/opa/v1/metrics"
	"github.com/open-policy-agent/opa/v1/topdown"
	"github.com/open-policy-agent/opa/v1/topdown/builtins"
	"github.com/open-policy-agent/opa/v1/topdown/print"

	"github.com/sluice-gw/sluice/pkg/stackroom"
)

// Options are the per-evaluation settings built-ins may consult.
type Options struct {
	// Time is what time.now_ns returns; the current time when zero.
	Time time.Time
	// Seed feeds the random built-ins; crypto/rand when nil.
	Seed io.Reader
	// PrintHook receives print() output; print is a no-op when nil.
	PrintHook print.Hook
}

// ErrConflict is returned when a complete rule or an object would take two
// different values, as topdown's eval_conflict_error.
var ErrConflict = errors.New("policyvm: eval conflict")

// ErrCanceled is returned when the context ended during an evaluation.
var ErrCanceled = errors.New("policyvm: evaluation canceled")

// Eval evaluates the plan with input, against the Instance's data. It
// returns the plan's result set: one object of bindings per result, none
// when the query is undefined. A plan built by Plan binds "result".
func (in *Instance) Eval(ctx context.Context, input *ast.Term, opts Options) ([]*ast.Term, error) {
	var out []*ast.Term
	err := in.run(ctx, input, opts, false, func(results []*ast.Term, _ *eval) {
		if len(results) > 0 {
			out = slices.Clone(results)
		}
	})
	return out, err
}

// EvalResult is Result of Eval, without copying the result set: what a
// plan built by Plan evaluates to, or nil when it is undefined.
//
// An Instance that remembers results (RememberResults) answers from them
// when it can.
func (in *Instance) EvalResult(ctx context.Context, input *ast.Term, opts Options) (*ast.Term, error) {
	out, _, err := in.EvalRemembered(ctx, input, opts)
	return out, err
}

// EvalRemembered is EvalResult, also reporting whether the result was
// remembered instead of evaluated.
func (in *Instance) EvalRemembered(ctx context.Context, input *ast.Term, opts Options) (*ast.Term, bool, error) {
	m := in.memo
	var root *Record
	if m != nil {
		if root, _ = valueOf(input).(*Record); root == nil || m.aside() {
			root = nil
			m.skipped.Add(1)
		} else {
			v, ok := m.lookup(root)
			m.tally()
			if ok {
				return v, true, nil
			}
		}
	}
	var out *ast.Term
	err := in.run(ctx, input, opts, root != nil, func(results []*ast.Term, e *eval) {
		out = Result(results)
		if root == nil {
			return
		}
		if !e.impure && m.remember(root, e.reads, out) {
			m.misses.Add(1)
		} else {
			m.skipped.Add(1)
		}
	})
	if err != nil && root != nil {
		m.skipped.Add(1)
	}
	return out, false, err
}

// run evaluates the plan and hands the result set, which belongs to the
// pooled evaluation, to take before it is reused; with track, the
// evaluation notes what it reads of the input's records.
func (in *Instance) run(ctx context.Context, input *ast.Term, opts Options, track bool, take func([]*ast.Term, *eval)) error {
	if err := ctx.Err(); err != nil {
		return errors.Join(ErrCanceled, err)
	}
	stackroom.Reserve(StackBytes)
	e := in.prog.pool.Get().(*eval)
	defer e.release()
	e.ctx, e.inst, e.opts, e.track = ctx, in, opts, track
	fr, restore := e.push(in.prog.nlocals)
	fr[ir.Input] = input
	fr[ir.Data] = in.data
	for _, b := range in.prog.plan {
		if code := runBlock(b, e, fr); code == fail {
			return e.err
		}
	}
	e.pop(restore)
	take(e.results, e)
	return nil
}

// StackBytes is the stack an evaluation needs. An evaluation recurses
// through rules and blocks, and growing the stack in that recursion copies
// every frame on the way, several times over, so the room is reserved
// before the evaluation starts (and, by a caller that knows an evaluation
// will come, before its own frames pile up). The reference policy's
// evaluations fit in it: TestEvaluationsFitTheirStack (pkg/policy) holds
// it to a thousand varied decisions.
const StackBytes = 12 << 10

// Result is the value bound to "result" in the first result of a plan
// built by Plan, or nil when the entrypoint is undefined.
func Result(results []*ast.Term) *ast.Term {
	for _, r := range results {
		if obj, ok := r.Value.(ast.Object); ok {
			if v := obj.Get(resultKey); v != nil {
				return v
			}
		}
	}
	return nil
}

var resultKey = ast.StringTerm("result")

// eval is one evaluation's state, pooled with its slabs.
type eval struct {
	prog *Program
	inst *Instance
	ctx  context.Context
	opts Options

	stack   []*ast.Term
	sp      int
	memo    []memoSlot
	results []*ast.Term
	scratch []*ast.Term // built-in arguments
	ret     *ast.Term   // set by ReturnLocalStmt
	out     *ast.Term   // set by emit
	emit    func(*ast.Term) error
	err     error

	scans    []scan
	eachPair func(k, v *ast.Term) error // steps the innermost scan
	eachElem func(t *ast.Term) error

	withDepth int
	steps     int
	bctx      topdown.BuiltinContext
	bctxReady bool

	// For an Instance that remembers results (see readmemo.go): track
	// asks for the input's reads, which go to reads; impure is set by a
	// call whose value the input does not determine.
	track  bool
	impure bool
	reads  []recordRead
}

type memoSlot struct {
	done bool
	v    *ast.Term
}

func newEvalPool(p *Program) *sync.Pool {
	return &sync.Pool{New: func() any {
		e := &eval{prog: p, stack: make([]*ast.Term, 256), memo: make([]memoSlot, len(p.funcs))}
		e.emit = func(t *ast.Term) error { e.out = t; return nil }
		e.eachPair = func(k, v *ast.Term) error {
			if e.step(k, v) {
				return errStop
			}
			return nil
		}
		e.eachElem = func(t *ast.Term) error { return e.eachPair(t, t) }
		return e
	}}
}

func (e *eval) release() {
	clear(e.stack[:e.sp])
	clear(e.memo)
	clear(e.results)
	e.results = e.results[:0]
	e.sp, e.steps, e.withDepth = 0, 0, 0
	e.ctx, e.inst, e.opts, e.err, e.ret, e.out = nil, nil, Options{}, nil, nil, nil
	e.bctx, e.bctxReady = topdown.BuiltinContext{}, false
	clear(e.reads)
	e.reads, e.track, e.impure = e.reads[:0], false, false
	e.prog.pool.Put(e)
}

// frameMark is what pop needs to give a frame back.
type frameMark struct {
	stack []*ast.Term
	sp    int
}

// push takes a zeroed frame of n locals from the slab. A slab too small
// for it is replaced; frames already handed out keep the old one.
func (e *eval) push(n int) ([]*ast.Term, frameMark) {
	m := frameMark{stack: e.stack, sp: e.sp}
	if e.sp+n > len(e.stack) {
		e.stack, e.sp = make([]*ast.Term, max(2*len(e.stack), n)), 0
	}
	fr := e.stack[e.sp : e.sp+n : e.sp+n]
	clear(fr)
	e.sp += n
	return fr, m
}

func (e *eval) pop(m frameMark) {
	if len(m.stack) != len(e.stack) {
		// The slab grew during the call; keep the larger one.
		clear(e.stack[:e.sp])
		e.sp = m.sp
		return
	}
	e.stack, e.sp = m.stack, m.sp
}

// value is an operand's value as everything but a member read must see
// it: a Record is shown as its object.
func (e *eval) value(o operand, fr []*ast.Term) *ast.Term {
	if o.c != nil {
		return o.c
	}
	return e.plain(fr[o.local])
}

// plain is Plain(t), noting that a record is read whole.
func (e *eval) plain(t *ast.Term) *ast.Term {
	if t != nil {
		if r, ok := t.Value.(*Record); ok {
			if e.track {
				e.reads = append(e.reads, recordRead{r, -1})
			}
			return r.Term()
		}
	}
	return t
}

// member is coll[key], noting which member of a record is read.
func (e *eval) member(coll, key *ast.Term) *ast.Term {
	if coll == nil || key == nil {
		return nil
	}
	r, ok := coll.Value.(*Record)
	if !ok {
		return member(coll, key)
	}
	i := r.keys.index(key)
	if i < 0 {
		// Not a key of this kind of record: undefined whatever the values.
		return nil
	}
	if e.track {
		e.reads = append(e.reads, recordRead{r, i})
	}
	return r.vals[i]
}

// raw is an operand's value as it is, Records included: for the
// statements that only pass a value on or read its members.
func (e *eval) raw(o operand, fr []*ast.Term) *ast.Term {
	if o.c != nil {
		return o.c
	}
	return fr[o.local]
}

// tick counts a step, and every few thousand looks at the context, so a
// runaway policy can be stopped. It reports whether to stop.
func (e *eval) tick() bool {
	e.steps++
	if e.steps&0xfff != 0 {
		return false
	}
	if err := e.ctx.Err(); err != nil {
		e.err = errors.Join(ErrCanceled, err)
		return true
	}
	return false
}

func (e *eval) conflict(msg string) int32 {
	e.err = &topdown.Error{Code: topdown.ConflictErr, Message: msg}
	e.err = errors.Join(ErrConflict, e.err)
	return fail
}

// pushMemo starts a fresh per-evaluation memo, for a with block: inside
// it, rules may see a different input or data.
func (e *eval) pushMemo() []memoSlot {
	saved := e.memo
	e.memo = make([]memoSlot, len(e.prog.funcs))
	e.withDepth++
	return saved
}

func (e *eval) popMemo(saved []memoSlot) {
	e.memo = saved
	e.withDepth--
}

func (e *eval) builtinContext() *topdown.BuiltinContext {
	if !e.bctxReady {
		seed := e.opts.Seed
		if seed == nil {
			seed = rand.Reader
		}
		now := e.opts.Time
		if now.IsZero() {
			now = time.Now()
		}
		e.bctx = topdown.BuiltinContext{
			Context:   e.ctx,
			Metrics:   noMetrics,
			Seed:      seed,
			Time:      ast.IntNumberTerm(int(now.UnixNano())),
			Cache:     builtins.Cache{},
			PrintHook: e.opts.PrintHook,
		}
		e.bctxReady = true
	}
	return &e.bctx
}

var noMetrics = metrics.NoOp()
