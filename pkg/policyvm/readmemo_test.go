package policyvm_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/sluice-gw/sluice/pkg/policyvm"
)

// shapes gives records of the same keys the same RecordKeys, as a host
// that builds its input from fixed types does: only records of one kind
// can share a remembered result.
type shapes map[string]*policyvm.RecordKeys

func (s shapes) records(t *ast.Term) *ast.Term {
	obj, ok := t.Value.(ast.Object)
	if !ok {
		return t
	}
	keys := make([]string, 0, obj.Len())
	for _, k := range obj.Keys() {
		str, ok := k.Value.(ast.String)
		if !ok {
			return t
		}
		keys = append(keys, string(str))
	}
	slices.Sort(keys)
	name := strings.Join(keys, "\x00")
	rk := s[name]
	if rk == nil {
		rk = policyvm.NewRecordKeys(keys...)
		s[name] = rk
	}
	vals := make([]*ast.Term, len(keys))
	for i, k := range keys {
		vals[i] = s.records(obj.Get(ast.StringTerm(k)))
	}
	return ast.NewTerm(policyvm.NewRecord(rk, vals))
}

// TestRememberedResults evaluates inputs one after another on an Instance
// that remembers results, and checks for each whether it was answered
// from memory and that the answer is what evaluating gives.
func TestRememberedResults(t *testing.T) {
	prog := policyvm.PlanFile(t, "memo.rego", "vmtest/memo")
	fresh := prog.Instance(nil)
	in := prog.Instance(nil)
	in.RememberResults(64)
	sh := shapes{}
	base := `{"identity": {"tenant": %q, "labels": %s}, "request": {"model": %q, "id": %q}}`
	for i, c := range []struct {
		tenant, labels, model, id string
		remembered                bool
	}{
		{"acme", `{"a": 1}`, "m1", "r1", false},
		{"acme", `{"a": 1}`, "m1", "r2", true},          // only the unread id differs
		{"acme", `{"a": 1}`, "m2", "r3", false},         // the model is read
		{"acme", `{"a": 1}`, "m1", "r4", true},          // the first is still there
		{"acme", `{"a": 1.0}`, "m1", "r5", false},       // 1.0 is not 1 to a policy that prints it
		{"acme", `{"a": 1, "b": 2}`, "m1", "r6", false}, // a value read whole
		{"acme", `{"a": "1"}`, "m1", "r7", false},       // a string is not a number
		{"other", `{"a": 1}`, "m1", "r8", false},        // the tenant
		{"clock", `{}`, "m1", "r9", false},              // the clock is read
		{"clock", `{}`, "m1", "r9", false},              // and so never remembered
		{"whole", `{}`, "m1", "r10", false},             // the request used whole
		{"whole", `{}`, "m1", "r11", false},             // so its id is read
		{"whole", `{}`, "m1", "r11", true},              // and the same request repeats
		{"iterate", `{}`, "m1", "r12", false},           // the identity iterated
		{"iterate", `{}`, "m1", "r13", true},            // the request is not
		{"iterate", `{"x": null}`, "m1", "r13", false},  // but the identity's labels are
	} {
		plain := ast.MustParseTerm(fmt.Sprintf(base, c.tenant, c.labels, c.model, c.id))
		got, want, remembered := evalBoth(t, fresh, in, sh, plain)
		if remembered != c.remembered {
			t.Errorf("%d: remembered %v, want %v (%v)", i, remembered, c.remembered, plain)
		}
		if c.tenant == "clock" {
			continue // the clock moved between the two evaluations
		}
		if got.String() != want.String() {
			t.Errorf("%d: got %v, want %v", i, got, want)
		}
	}
	if s := in.MemoStats(); s.Skipped != 2 || s.Hits != 4 {
		t.Errorf("stats %+v, want 4 hits and the clock's 2 evaluations skipped", s)
	}
}

// TestRememberedResultsNeedRecords: an input of plain objects cannot be
// keyed member by member, so it is evaluated every time.
func TestRememberedResultsNeedRecords(t *testing.T) {
	in := policyvm.PlanFile(t, "memo.rego", "vmtest/memo").Instance(nil)
	in.RememberResults(64)
	plain := ast.MustParseTerm(`{"identity": {"tenant": "acme"}}`)
	for range 3 {
		if _, remembered, err := in.EvalRemembered(context.Background(), plain, policyvm.Options{}); err != nil || remembered {
			t.Fatalf("remembered %v, %v", remembered, err)
		}
	}
	if s := in.MemoStats(); s.Skipped != 3 {
		t.Errorf("stats %+v, want 3 skipped", s)
	}
}

// TestRememberedResultsStandAside: when no request repeats what the
// policy reads, the memo stops looking after a window of lookups, and
// looks again later.
func TestRememberedResultsStandAside(t *testing.T) {
	in := policyvm.PlanFile(t, "memo.rego", "vmtest/memo").Instance(nil)
	in.RememberResults(64)
	sh := shapes{}
	eval := func(i int) bool {
		input := sh.records(ast.MustParseTerm(fmt.Sprintf(`{"identity": {"tenant": "t%d", "labels": {}}, "request": {"model": "m"}}`, i)))
		_, remembered, err := in.EvalRemembered(context.Background(), input, policyvm.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return remembered
	}
	const window = 1024
	for i := range window {
		eval(i)
	}
	if s := in.MemoStats(); s.Misses != window || s.Skipped != 0 {
		t.Fatalf("after a window of new tenants: %+v", s)
	}
	// Standing aside, it does not remember even a repeat.
	eval(1)
	if eval(1) {
		t.Fatal("remembered while standing aside")
	}
	if s := in.MemoStats(); s.Skipped != 2 {
		t.Fatalf("standing aside: %+v", s)
	}
	for i := range 16*window - 2 {
		eval(i)
	}
	eval(1)
	if !eval(1) {
		t.Fatalf("not looking again after standing aside: %+v", in.MemoStats())
	}
}

// TestRememberedRecordRules asks each rule of testdata/record.rego, which
// between them use the input in every way a policy can, for a run of
// inputs that differ from one another in one place at a time, with
// results remembered and without: the remembered result must be the
// evaluated one every time, and some must be remembered.
func TestRememberedRecordRules(t *testing.T) {
	inputs := []string{
		`{"request": {"model": "m1", "id": "r1", "params": {"t": 1}}, "identity": {"tenant": "acme", "roles": ["dev", "ops"], "groups": {"ops"}}}`,
		`{"request": {"model": "m1", "id": "r2", "params": {"t": 1}}, "identity": {"tenant": "acme", "roles": ["dev", "ops"], "groups": {"ops"}}}`,
		`{"request": {"model": "m2", "id": "r2", "params": {"t": 1}}, "identity": {"tenant": "acme", "roles": ["dev", "ops"], "groups": {"ops"}}}`,
		`{"request": {"model": "m1", "id": "r1", "params": {"t": 1.0}}, "identity": {"tenant": "acme", "roles": ["dev", "ops"], "groups": {"ops"}}}`,
		`{"request": {"model": "m1", "id": "r1", "params": {"t": 1}}, "identity": {"tenant": "acme", "roles": ["ops", "dev"], "groups": {"ops"}}}`,
		`{"request": {"model": "m1", "id": "r1", "params": {"t": 1}}, "identity": {"tenant": "other", "roles": ["dev", "ops"], "groups": {"ops"}}}`,
		`{"request": {"model": "m1", "id": "r1", "params": {"t": 1}}, "identity": {"tenant": "acme", "roles": ["dev", "ops"], "groups": {"dev"}}}`,
		`{"request": {"model": "m1", "id": "r1", "params": {"t": {"deep": [1, {"x": 2}]}}}, "identity": {}}`,
		`{"request": {"model": "m1", "id": "r1", "params": {"t": {"deep": [1, {"x": 3}]}}}, "identity": {}}`,
		`{"request": {"model": "m1"}, "identity": {"tenant": "acme", "roles": ["dev"]}}`,
		`{"request": {}, "identity": {"roles": []}}`,
		`{}`,
	}
	rules := []string{
		"compare", "comprehension", "count_request", "deep", "dot", "get_array", "get_bad_key", "get_empty_path",
		"get_key", "get_missing", "get_not_object", "get_path", "get_set", "get_whole", "in_array", "in_set",
		"is_obj", "iterate", "keys", "marshal", "member_of", "missing", "nested_object", "not_array", "ordered",
		"pairs", "passed", "passed_twice", "same_as_literal", "shared", "top", "unified", "union", "via_var",
		"walked", "whole", "with_identity", "with_model", "with_whole",
	}
	var remembered int
	for _, rule := range rules {
		prog := policyvm.PlanFile(t, "record.rego", "vmtest/record/"+rule)
		fresh, in := prog.Instance(nil), prog.Instance(nil)
		in.RememberResults(64)
		sh := shapes{}
		for pass := range 3 {
			for i, input := range inputs {
				if pass == 1 {
					input = inputs[len(inputs)-1-i]
				}
				got, want, hit := evalBoth(t, fresh, in, sh, ast.MustParseTerm(input))
				if hit {
					remembered++
				}
				if (got == nil) != (want == nil) || got != nil && got.String() != want.String() {
					t.Errorf("%s, input %s (remembered %v): got %v, want %v", rule, input, hit, got, want)
				}
			}
		}
	}
	t.Logf("%d of %d results remembered", remembered, 3*len(rules)*len(inputs))
	if remembered < len(rules)*len(inputs) {
		t.Errorf("only %d of %d results remembered", remembered, 3*len(rules)*len(inputs))
	}
}

// evalBoth evaluates plain on fresh, and as records on in, which may
// remember it.
func evalBoth(t *testing.T, fresh, in *policyvm.Instance, sh shapes, plain *ast.Term) (got, want *ast.Term, remembered bool) {
	t.Helper()
	want, err := fresh.EvalResult(context.Background(), plain, policyvm.Options{})
	if err != nil {
		t.Fatal(err)
	}
	got, remembered, err = in.EvalRemembered(context.Background(), sh.records(plain), policyvm.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return got, want, remembered
}

// TestImpure: the built-ins whose value the arguments do not fix, whether
// OPA flags them or not, and a few it may call freely.
func TestImpure(t *testing.T) {
	for name, want := range map[string]bool{
		"time.now_ns": true, "rand.intn": true, "http.send": true, "uuid.rfc4122": true,
		"opa.runtime": true, "io.jwt.decode_verify": true,
		"print": true, "trace": true, "rego.metadata.rule": true, "rego.metadata.chain": true,
		"crypto.x509.parse_and_verify_certificates": true,
		"count": false, "object.get": false, "sprintf": false, "time.parse_rfc3339_ns": false,
	} {
		if got := policyvm.Impure(name); got != want {
			t.Errorf("Impure(%q) = %v, want %v", name, got, want)
		}
	}
}
