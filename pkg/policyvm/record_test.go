package policyvm_test

import (
	"context"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/sluice-gw/sluice/pkg/policyvm"
)

// records is t with every object held by an object (t itself included)
// made a Record, as a host builds its input: objects in arrays and sets
// stay objects, since only a record's own values may be records.
func records(t *ast.Term) *ast.Term { return shapes{}.records(t) }

// TestRecordEvaluatesLikeItsObject evaluates every rule of
// testdata/record.rego with the input as records and as OPA's objects:
// member reads, object.get, iteration, comparison, built-ins, with,
// function calls and shared results must not tell them apart.
func TestRecordEvaluatesLikeItsObject(t *testing.T) {
	prog := policyvm.PlanFile(t, "record.rego", "vmtest/record")
	for i, input := range []string{
		`{"request": {"model": "m1", "id": "r1", "params": {"t": 1}}, "identity": {"tenant": "acme", "roles": ["dev", "ops"], "groups": {"ops"}}}`,
		`{"request": {"model": "m2", "id": "r2", "params": {"t": 2}}, "identity": {"tenant": "acme", "roles": ["dev", "ops"], "groups": {"ops"}}}`,
		`{"request": {"model": "m1"}, "identity": {"tenant": "other", "roles": ["dev"], "groups": {"dev"}}}`,
		`{"request": {"model": "m1", "id": "r3", "params": {"t": {"deep": [1, {"x": 2}]}}}, "identity": {}}`,
		`{"request": {}, "identity": {"roles": []}}`,
		`{}`,
	} {
		plain := ast.MustParseTerm(input)
		// One instance for both, so results shared between evaluations
		// are shared between the two kinds of input too.
		in := prog.Instance(nil)
		want := evalTerm(t, in, plain)
		for range 2 { // the second time, from whatever the first shared
			got := evalTerm(t, in, records(plain))
			if got.Value.Compare(want.Value) != 0 {
				t.Fatalf("input %s:\nrecords: %v\nobjects: %v", input, got, want)
			}
			ast.WalkTerms(got, func(x *ast.Term) bool {
				if _, ok := x.Value.(*policyvm.Record); ok {
					t.Fatalf("input %s: a record in the result: %v", input, got)
				}
				return false
			})
		}
		if n := want.Value.(ast.Object).Len(); i == 0 && n < 37 {
			t.Fatalf("input %s: only %d rules defined, the test reads too little: %v", input, n, want)
		}
	}
}

// TestRecordAsAResult asks for rules whose value is the input or a part
// of it: the result is an object, not a record.
func TestRecordAsAResult(t *testing.T) {
	plain := ast.MustParseTerm(`{"request": {"model": "m1", "params": {"t": 1}}}`)
	for _, rule := range []string{"top", "whole", "get_whole", "shared"} {
		in := policyvm.PlanFile(t, "record.rego", "vmtest/record/"+rule).Instance(nil)
		want := evalTerm(t, in, plain)
		for range 2 {
			got := evalTerm(t, in, records(plain))
			if _, ok := got.Value.(ast.Object); !ok || got.Value.Compare(want.Value) != 0 {
				t.Fatalf("%s: got %T %v, want %v", rule, got.Value, got, want)
			}
		}
	}
}

func evalTerm(t *testing.T, in *policyvm.Instance, input *ast.Term) *ast.Term {
	t.Helper()
	got, err := in.EvalResult(context.Background(), input, policyvm.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got == nil {
		t.Fatal("undefined")
	}
	return got
}
