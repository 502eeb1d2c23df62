package policy

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/sluice-gw/sluice/pkg/policyvm"
)

// TestPlanMatchesInterpreter holds the compiled plan to OPA's interpreter:
// over the reference inputs and thousands of random ones, with the
// shipped data, every knob set, and none, both give the same raw result.
// The plan is evaluated from several goroutines at once, so the values it
// shares between evaluations are written while others read them.
func TestPlanMatchesInterpreter(t *testing.T) {
	shipped, err := os.ReadFile(filepath.Join(refPolicyDir, "data.json"))
	if err != nil {
		t.Fatal(err)
	}
	// The race detector slows both evaluators many times over; the
	// goroutines still race on the shared values with fewer inputs.
	ins, n := refInputs(), 5000
	if testing.Short() || raceEnabled {
		ins, n = ins[:300], 300
	}
	ins = append(ins, refRandomInputs(n)...)
	for _, variant := range []struct {
		name string
		data string
		dev  bool
	}{
		{"shipped data", string(shipped), false},
		{"every knob", refRichData, false},
		{"every knob, development flag", refRichData, true},
		{"no policy data", `{}`, false},
	} {
		t.Run(variant.name, func(t *testing.T) {
			var cfg map[string]any
			if variant.dev {
				cfg = map[string]any{"dev_anonymous_mock": true}
			}
			e := refEngineAt(t, refPolicyCopy(t, refPolicyDir, variant.data), cfg)
			if e.cur.Load().vm == nil {
				t.Fatalf("the reference policy did not compile to a plan: %v", e.cur.Load().policy.plans.err)
			}
			want := make([]string, len(ins))
			for i, in := range ins {
				want[i] = refRawDecision(t, e, in)
			}
			var wg sync.WaitGroup
			errs := make(chan string, 10)
			for w := range 3 {
				wg.Go(func() {
					for i := w; i < len(ins); i += 3 {
						if got := planRawDecision(t, e, ins[i]); got != want[i] {
							select {
							case errs <- fmt.Sprintf("input %d (%+v, %s %s):\n plan        %s\n interpreter %s",
								i, ins[i].Identity, ins[i].Request.API, ins[i].Request.Model, got, want[i]):
							default:
							}
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			for msg := range errs {
				t.Error(msg)
			}
		})
	}
}

// evalPlan evaluates the compiled plan; the result is nil when the
// decision is undefined.
func evalPlan(ctx context.Context, st *state, input *ast.Term, now time.Time) (*ast.Term, error) {
	return st.vm.EvalResult(ctx, input, policyvm.Options{Time: now})
}

// plain is v with records turned into objects, for OPA's own functions.
func plain(v ast.Value) ast.Value { return policyvm.Plain(ast.NewTerm(v)).Value }

// planRawDecision is the compiled plan's result for in, written the way
// refRawDecision writes the interpreter's.
func planRawDecision(t *testing.T, e *Engine, in *Input) string {
	st := e.cur.Load()
	input, err := in.toAST(&builder{names: st.strings}, newTimeTerm(in.Time))
	if err != nil {
		t.Error(err)
		return ""
	}
	rs, err := evalPlan(context.Background(), st, input, in.Time)
	switch {
	case err != nil:
		return "error: " + err.Error()
	case rs == nil:
		return "undefined"
	}
	x, err := ast.JSON(rs.Value)
	if err != nil {
		return "error: " + err.Error()
	}
	return fmt.Sprint(x)
}

// FuzzPlanMatchesInterpreter holds the compiled plan to OPA's interpreter
// on requests drawn from a fuzzed seed, with a fuzzed last user message
// for the keyword routes and their regular expressions.
func FuzzPlanMatchesInterpreter(f *testing.F) {
	f.Add(uint64(1), uint64(2), "How do I reverse a linked list in Go?")
	f.Add(uint64(7), uint64(9), "")
	f.Add(uint64(3), uint64(5), "C++ or golang, ¿which?")
	plan, interpreter := refEngineWith(f, false), refEngineWith(f, true)
	f.Fuzz(func(t *testing.T, seed1, seed2 uint64, message string) {
		in := refRandomInputsFrom(1, seed1, seed2)[0]
		in.Request.LastUserMessage = message
		got, want := planRawDecision(t, plan, in), refRawDecision(t, interpreter, in)
		if got != want {
			t.Fatalf("%+v %s %s:\n plan        %s\n interpreter %s", in.Identity, in.Request.API, in.Request.Model, got, want)
		}
	})
}

// forEachEvaluator runs test with the compiled plan and with OPA's
// interpreter: both must give the engine the same decisions and errors.
func forEachEvaluator(t *testing.T, test func(t *testing.T, interpreter bool)) {
	t.Run("plan", func(t *testing.T) { test(t, false) })
	t.Run("interpreter", func(t *testing.T) { test(t, true) })
}

// TestPlanFallsBackToInterpreter loads a policy the planner cannot take
// (walk is a relation): the engine says so in its log and decides with
// OPA's interpreter.
func TestPlanFallsBackToInterpreter(t *testing.T) {
	var log bytes.Buffer
	e := newTestEngine(t, Options{Dir: "testdata/walk", Logger: slog.New(slog.NewTextHandler(&log, nil))})
	if e.cur.Load().vm != nil {
		t.Fatal("a policy calling walk was compiled to a plan")
	}
	if !strings.Contains(log.String(), "evaluating with OPA's interpreter") || !strings.Contains(log.String(), "walk") {
		t.Errorf("log = %q, want the fallback and its reason", log.String())
	}
	for model, allow := range map[string]bool{"allow": true, "other": false} {
		d, err := e.Evaluate(context.Background(), input(model))
		if err != nil || d.Allow != allow {
			t.Errorf("model %q: allow = %v, %v; want %v", model, d.Allow, err, allow)
		}
	}
}
