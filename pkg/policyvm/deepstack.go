package policyvm

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"

	"github.com/open-policy-agent/opa/v1/ast"
)

// An evaluation recurses through rules and blocks and needs a stack of
// some tens of kilobytes. Its callers are usually young goroutines: gRPC
// starts one per ext_proc stream, with a stack of a few kilobytes, and
// growing that stack costs a fresh allocation and a copy of every frame,
// about 10 µs, close to half of a decision. So EvalResult hands the
// evaluation to one of a few long-lived goroutines whose stacks have
// already grown, and evaluates on the caller's own goroutine only when
// none is idle. The hand-over is two goroutine switches.
//
// BenchmarkLoadDecisionFreshGoroutine in pkg/policy measures it: a
// decision asked for from a new goroutine, as the server's are.

// deepRunner is one long-lived evaluating goroutine. The caller that took
// it from the idle list owns it until it puts it back, so its fields need
// no lock: the channels order every access.
type deepRunner struct {
	start chan struct{}
	done  chan struct{}

	// The evaluation to run, and its outcome.
	in     *Instance
	ctx    context.Context
	input  *ast.Term
	opts   Options
	result *ast.Term
	err    error
	panic  any // what the evaluation panicked with, raised again by the caller
}

var (
	deepOnce sync.Once
	deepIdle chan *deepRunner
	onCaller atomic.Bool
)

// EvaluateOnCaller makes every evaluation run on its caller's goroutine
// (true) or, by default, on the runners when one is idle (false). Timing
// a decision by the CPU time of the thread that asked for it needs the
// former.
func EvaluateOnCaller(on bool) { onCaller.Store(on) }

// takeRunner returns an idle runner, or nil when all are busy or
// evaluations run on their callers.
func takeRunner() *deepRunner {
	if onCaller.Load() {
		return nil
	}
	deepOnce.Do(startRunners)
	select {
	case r := <-deepIdle:
		return r
	default:
		return nil
	}
}

// startRunners starts two runners per processor: an evaluation is CPU
// work, so more could only wait, and the second covers a runner
// descheduled in the middle of one.
func startRunners() {
	n := 2 * runtime.GOMAXPROCS(0)
	deepIdle = make(chan *deepRunner, n)
	for range n {
		r := &deepRunner{start: make(chan struct{}), done: make(chan struct{})}
		go r.loop()
		deepIdle <- r
	}
}

func (r *deepRunner) loop() {
	for range r.start {
		r.exec()
		r.done <- struct{}{}
	}
}

func (r *deepRunner) exec() {
	defer func() {
		if p := recover(); p != nil {
			r.panic = fmt.Sprintf("%v\n\non the policy evaluation goroutine:\n%s", p, debug.Stack())
		}
	}()
	r.err = r.in.run(r.ctx, r.input, r.opts, func(results []*ast.Term) { r.result = Result(results) })
}

// runDeep evaluates on r and gives r back. The outcome is copied out
// before another caller can take r.
func (r *deepRunner) runDeep(ctx context.Context, in *Instance, input *ast.Term, opts Options) (*ast.Term, error) {
	r.in, r.ctx, r.input, r.opts = in, ctx, input, opts
	r.start <- struct{}{}
	<-r.done
	result, err, p := r.result, r.err, r.panic
	*r = deepRunner{start: r.start, done: r.done}
	deepIdle <- r
	if p != nil {
		panic(p)
	}
	return result, err
}
