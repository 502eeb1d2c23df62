package policyvm

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
)

func planOf(t *testing.T, src string) *Program {
	t.Helper()
	m, err := ast.ParseModuleWithOpts("p.rego", src, ast.ParserOptions{RegoVersion: ast.RegoV1})
	if err != nil {
		t.Fatal(err)
	}
	prog, err := Plan(context.Background(), map[string]*ast.Module{"p.rego": m}, "p/result")
	if err != nil {
		t.Fatal(err)
	}
	return prog
}

func termOf(t *testing.T, v any) *ast.Term {
	t.Helper()
	val, err := ast.InterfaceToValue(v)
	if err != nil {
		t.Fatal(err)
	}
	return ast.NewTerm(val)
}

// TestRunnerPanicReachesCaller checks that a panic on a runner is raised
// on the caller's goroutine, with the runner's stack, and that the runner
// goes back to work afterwards.
func TestRunnerPanicReachesCaller(t *testing.T) {
	r := takeRunner()
	if r == nil {
		t.Fatal("no idle runner")
	}
	func() {
		defer func() {
			p := recover()
			if s, _ := p.(string); !strings.Contains(s, "on the policy evaluation goroutine") {
				t.Fatalf("recovered %v, want the runner's panic", p)
			}
		}()
		// An Instance with no program panics on its first field access.
		_, _ = r.runDeep(context.Background(), &Instance{}, nil, Options{})
		t.Fatal("runDeep returned")
	}()
	n := 0
	for range cap(deepIdle) {
		if r := takeRunner(); r != nil {
			n++
			defer func() { deepIdle <- r }()
		}
	}
	if n != cap(deepIdle) {
		t.Fatalf("%d of %d runners idle after the panic", n, cap(deepIdle))
	}
	if takeRunner() != nil {
		t.Fatal("more runners than were started")
	}
}

// TestRunnersBusy evaluates from more goroutines than there are runners,
// so some evaluate on their own goroutine, and every one gets its own
// result.
func TestRunnersBusy(t *testing.T) {
	prog := planOf(t, `package p
import rego.v1
result := {"double": input.n * 2, "deep": f1(input.n)}
f1(x) := f2(x + 10)
f2(x) := f3(x + 10)
f3(x) := y if {
	some y in [x + 10]
}
`)
	in := prog.Instance(nil)
	var wg sync.WaitGroup
	for g := range 8 * cap(deepIdle) {
		wg.Go(func() {
			for i := range 50 {
				n := g*1000 + i
				got, err := in.EvalResult(context.Background(), termOf(t, map[string]any{"n": n}), Options{})
				if err != nil {
					t.Error(err)
					return
				}
				if want := termOf(t, map[string]any{"double": 2 * n, "deep": n + 30}); got == nil || got.Value.Compare(want.Value) != 0 {
					t.Errorf("n=%d: got %v, want %v", n, got, want)
					return
				}
			}
		})
	}
	wg.Wait()
}
