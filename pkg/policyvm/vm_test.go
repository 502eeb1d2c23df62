package policyvm_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/sluice-gw/sluice/pkg/policyvm"
)

func eval(t *testing.T, in *policyvm.Instance, input string, now time.Time) *ast.Term {
	t.Helper()
	rs, err := in.Eval(context.Background(), ast.MustParseTerm(input), policyvm.Options{Time: now})
	if err != nil {
		t.Fatal(err)
	}
	return policyvm.Result(rs)
}

// TestShared checks that values shared between evaluations never leak
// into an evaluation they do not belong to: by argument, across inputs,
// across times, and in and out of with.
func TestShared(t *testing.T) {
	prog := policyvm.PlanTestdata(t, "vmtest/result")
	in := prog.Instance(ast.MustParseTerm(`{"limits": {"max": 3}}`))
	t0 := time.Unix(1000, 0)
	for i, tc := range []struct {
		input string
		now   time.Time
		want  string
	}{
		{`{"n": 1}`, t0, `{"by_arg": 2, "limit": 3, "echo": 1, "now": 1000000000000, "limit_with": 7, "echo_with": 9, "literal": ["a", "b"], "extended": ["a", "b", 1], "grown": {"a", "b", 1}}`},
		{`{"n": 2}`, t0.Add(time.Second), `{"by_arg": 4, "limit": 3, "echo": 2, "now": 1001000000000, "limit_with": 7, "echo_with": 9, "literal": ["a", "b"], "extended": ["a", "b", 2], "grown": {"a", "b", 2}}`},
		{`{"n": 1}`, t0, `{"by_arg": 2, "limit": 3, "echo": 1, "now": 1000000000000, "limit_with": 7, "echo_with": 9, "literal": ["a", "b"], "extended": ["a", "b", 1], "grown": {"a", "b", 1}}`},
	} {
		got := eval(t, in, tc.input, tc.now)
		if want := ast.MustParseTerm(tc.want); got == nil || got.Value.Compare(want.Value) != 0 {
			t.Errorf("evaluation %d: got %v, want %v", i, got, want)
		}
	}
	// Another data document gets its own shared values.
	other := prog.Instance(ast.MustParseTerm(`{"limits": {"max": 5}}`))
	if got := eval(t, other, `{"n": 1}`, t0); got.Value.(ast.Object).Get(ast.StringTerm("limit")).String() != "5" {
		t.Errorf("another data document: got %v", got)
	}
}

// TestWithFirst evaluates the with rules before the plain ones in one
// evaluation, so a value computed under with would be the one kept.
func TestWithFirst(t *testing.T) {
	in := policyvm.PlanTestdata(t, "vmtest/with_first").Instance(ast.MustParseTerm(`{"limits": {"max": 3}}`))
	for range 2 {
		if got := eval(t, in, `{"n": 1}`, time.Time{}); got.String() != "[7, 3, 9, 1]" {
			t.Fatalf("with_first = %v, want [7, 3, 9, 1]", got)
		}
	}
}

func TestErrors(t *testing.T) {
	ctx := context.Background()
	conflict := policyvm.PlanTestdata(t, "vmtest/conflict").Instance(nil)
	if _, err := conflict.Eval(ctx, ast.MustParseTerm(`{"conflict": true}`), policyvm.Options{}); !errors.Is(err, policyvm.ErrConflict) {
		t.Errorf("conflict: got %v, want ErrConflict", err)
	}
	if rs, err := conflict.Eval(ctx, ast.MustParseTerm(`{}`), policyvm.Options{}); err != nil || policyvm.Result(rs) != nil {
		t.Errorf("no conflict: got %v, %v; want undefined", rs, err)
	}
	spin := policyvm.PlanTestdata(t, "vmtest/spin").Instance(nil)
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := spin.Eval(cctx, ast.MustParseTerm(`{}`), policyvm.Options{}); !errors.Is(err, policyvm.ErrCanceled) {
		t.Errorf("cancelled: got %v, want ErrCanceled", err)
	}
	deadline, stop := context.WithTimeout(ctx, time.Millisecond)
	defer stop()
	time.Sleep(2 * time.Millisecond)
	if _, err := spin.Eval(deadline, ast.MustParseTerm(`{}`), policyvm.Options{}); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("past the deadline: got %v, want DeadlineExceeded", err)
	}
	if rs, err := spin.Eval(ctx, ast.MustParseTerm(`{}`), policyvm.Options{}); err != nil || policyvm.Result(rs).String() != "100000" {
		t.Errorf("spin: got %v, %v", rs, err)
	}

	// Cancelled while the evaluation runs, from another goroutine, as a
	// client going away cancels a request's context. spin reads no input,
	// so the Instance above now holds its value; a fresh one computes it.
	spin = policyvm.PlanTestdata(t, "vmtest/spin").Instance(nil)
	mid, cancelMid := context.WithCancel(ctx)
	defer cancelMid()
	watched := &midway{Context: mid, inside: make(chan struct{})}
	go func() {
		select {
		case <-watched.inside:
			cancelMid()
		case <-time.After(10 * time.Second):
		}
	}()
	rs, err := spin.Eval(watched, ast.MustParseTerm(`{}`), policyvm.Options{})
	if checks := watched.checks.Load(); checks < 2 {
		t.Fatalf("the context was checked %d times: never during the evaluation", checks)
	}
	if !errors.Is(err, policyvm.ErrCanceled) || !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled during the evaluation: got %v, %v; want ErrCanceled", rs, err)
	}
}

// midway is a context that is cancelled once an evaluation is under way:
// the first look at it, before the evaluation starts, finds it live; the
// second, made by the running evaluation, waits until another goroutine
// has cancelled it.
type midway struct {
	context.Context
	checks atomic.Int32
	inside chan struct{}
}

func (c *midway) Err() error {
	if c.checks.Add(1) == 2 {
		close(c.inside)
		select {
		case <-c.Done():
		case <-time.After(10 * time.Second):
		}
	}
	return c.Context.Err()
}
