package policyvm_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"sync"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/ir"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/test/cases"
	"github.com/open-policy-agent/opa/v1/test/cases/testdata"
	"github.com/open-policy-agent/opa/v1/util"

	"github.com/sluice-gw/sluice/pkg/policyvm"
)

// capture is a rego target that keeps the plan OPA's planner makes for a
// query, so any query the conformance cases ask can be run here.
type capture struct {
	mu   sync.Mutex
	plan *ir.Policy
}

const captureTarget = "sluice-policyvm-conformance"

func (*capture) IsTarget(t string) bool { return t == captureTarget }

func (c *capture) PrepareForEval(_ context.Context, p *ir.Policy, _ ...rego.PrepareOption) (rego.TargetPluginEval, error) {
	c.plan = p
	return c, nil
}

func (*capture) Eval(context.Context, *rego.EvalContext, ast.Value) (ast.Value, error) {
	return nil, errors.New("planning only")
}

var captured = sync.OnceValue(func() *capture {
	c := &capture{}
	rego.RegisterPlugin(captureTarget, c)
	return c
})

// TestConformance runs OPA's own evaluation test cases, the ones every
// Rego implementation is held to, through the planner and this package,
// and expects the results OPA documents for them.
func TestConformance(t *testing.T) {
	if testing.Short() {
		t.Skip("the conformance suite takes a while; run without -short")
	}
	var all []cases.TestCase
	err := fs.WalkDir(testdata.V1, "v1", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".yaml") {
			return err
		}
		bs, err := fs.ReadFile(testdata.V1, p)
		if err != nil {
			return err
		}
		var set cases.Set
		if err := util.Unmarshal(bs, &set); err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		for _, tc := range set.Cases {
			tc.Filename = path.Dir(strings.TrimPrefix(p, "v1/"))
			all = append(all, tc)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var visited, ran, planless int
	for _, tc := range all {
		t.Run(tc.Filename+"/"+tc.Note, func(t *testing.T) {
			visited++
			if why, ok := plannerLimits[tc.Note]; ok {
				t.Skip(why)
			}
			for k, v := range tc.Env {
				t.Setenv(k, v)
			}
			plan, err := planCase(tc)
			if err != nil {
				// The case does not compile (it tests a compile error);
				// the interpreter would refuse it just the same.
				planless++
				t.Skipf("does not plan: %v", err)
			}
			prog, err := policyvm.Compile(plan, plan.Plans.Plans[0].Name)
			if errors.Is(err, policyvm.ErrUnsupported) {
				t.Skipf("unsupported: %v", err)
			}
			if err != nil {
				t.Fatal(err)
			}
			ran++
			got, err := prog.Instance(caseData(t, tc)).Eval(context.Background(), caseInput(tc), policyvm.Options{})
			check(t, tc, got, err)
		})
	}
	t.Logf("%d cases, %d run, %d do not plan", len(all), ran, planless)
	// A case this package cannot compile is skipped, not failed, so a
	// regression that makes more plans unsupported would otherwise pass
	// quietly. When -run selects only some cases the count means nothing.
	if visited == len(all) && ran < conformanceRuns {
		t.Fatalf("only %d of %d cases ran, want at least %d: more cases are skipped than before", ran, len(all), conformanceRuns)
	}
}

// conformanceRuns is how many of OPA's cases run through this package:
// all but the walk cases, the two integer-key cases and the one that does
// not compile. It goes up when this package learns more of the plan
// language or OPA adds cases; it must not go down.
const conformanceRuns = 2383

// plannerLimits are the cases OPA's planner itself gets wrong, which OPA
// also excludes when it runs these cases against its Wasm target.
var plannerLimits = map[string]string{
	"data/toplevel integer": "the planner looks up data[2] as a number key (open-policy-agent/opa#3711)",
	"data/nested integer":   "the planner looks up data.nested[2] as a number key (open-policy-agent/opa#3711)",
}

func planCase(tc cases.TestCase) (*ir.Policy, error) {
	c := captured()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.plan = nil
	opts := []func(*rego.Rego){
		rego.Target(captureTarget),
		rego.Query(tc.Query),
		rego.SetRegoVersion(ast.RegoV1),
		rego.Capabilities(ast.CapabilitiesForThisVersion(ast.CapabilitiesExperimentalKeywords(tc.ExperimentalKeywords))),
	}
	for i, m := range tc.Modules {
		opts = append(opts, rego.Module(fmt.Sprintf("module-%d.rego", i), m))
	}
	if _, err := rego.New(opts...).PrepareForEval(context.Background()); err != nil {
		return nil, err
	}
	if c.plan == nil || len(c.plan.Plans.Plans) != 1 {
		return nil, errors.New("no single plan")
	}
	// Plan hands the evaluator a plan read back from JSON, as
	// `opa build -t plan` writes it; these cases go the same way.
	bs, err := json.Marshal(c.plan)
	if err != nil {
		return nil, err
	}
	var p ir.Policy
	if err := json.Unmarshal(bs, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

func caseData(t *testing.T, tc cases.TestCase) *ast.Term {
	if tc.Data == nil {
		return nil
	}
	v, err := ast.InterfaceToValue(*tc.Data)
	if err != nil {
		t.Fatal(err)
	}
	return ast.NewTerm(v)
}

func caseInput(tc cases.TestCase) *ast.Term {
	switch {
	case tc.InputTerm != nil:
		return ast.MustParseTerm(*tc.InputTerm)
	case tc.Input != nil:
		return ast.NewTerm(ast.MustInterfaceToValue(*tc.Input))
	}
	return nil
}

func check(t *testing.T, tc cases.TestCase, got []*ast.Term, err error) {
	t.Helper()
	switch {
	case tc.WantDefined != nil:
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		if defined := len(got) > 0; defined != *tc.WantDefined {
			t.Fatalf("defined = %v, want %v", defined, *tc.WantDefined)
		}
	case tc.WantResult != nil:
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		want := ast.NewSet()
		for _, b := range *tc.WantResult {
			want.Add(canonical(ast.NewTerm(ast.MustInterfaceToValue(b)), tc.SortBindings))
		}
		have := ast.NewSet()
		for _, r := range got {
			have.Add(canonical(r, tc.SortBindings))
		}
		if have.Compare(want) != 0 {
			t.Fatalf("results\n got: %v\nwant: %v", have, want)
		}
	case tc.WantErrorCode != nil || tc.WantError != nil:
		if tc.StrictError {
			// A built-in error is an undefined call unless strict.
			if err != nil || len(got) > 0 {
				t.Fatalf("want no result and no error, got %v, %v", got, err)
			}
			return
		}
		if err == nil {
			t.Fatalf("want an error, got %v", got)
		}
	}
}

// canonical is a binding set as JSON would carry it (sets become arrays,
// as every Rego implementation reports them), optionally with arrays
// sorted. Numbers compare by value, so 1 and 1.0 are the same.
func canonical(bindings *ast.Term, sortArrays bool) *ast.Term {
	x, err := ast.JSON(bindings.Value)
	if err != nil {
		return ast.StringTerm("!" + err.Error())
	}
	v := ast.MustInterfaceToValue(x)
	if obj, ok := v.(ast.Object); ok && sortArrays {
		out := ast.NewObject()
		obj.Foreach(func(k, val *ast.Term) {
			if a, ok := val.Value.(*ast.Array); ok {
				val = ast.NewTerm(a.Sorted())
			}
			out.Insert(k, val)
		})
		v = out
	}
	return ast.NewTerm(v)
}
