package policy

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/open-policy-agent/opa/v1/ast"
)

func TestReadsTokenEstimate(t *testing.T) {
	for _, c := range []struct {
		name, rego string
		want       bool
	}{
		{"member", `deny if input.request.input_tokens_estimate > 100000`, true},
		{"bracketed keys", `deny if input["request"]["input_tokens_estimate"] > 1`, true},
		{"inside the member", `deny if input.request.input_tokens_estimate.x`, true},
		{"other members", `deny if { input.request.model == "m"; input.identity.tenant == "t" }`, false},
		{"request whole, assigned", `deny if { r := input.request; r.input_tokens_estimate > 1 }`, true},
		{"request whole, to a function", "f(r) := r.input_tokens_estimate\ndeny if f(input.request) > 1", true},
		{"input whole, to object.get", `deny if object.get(input, ["request", "input_tokens_estimate"], 0) > 1`, true},
		{"object.get, other member", `deny if object.get(input, ["request", "model"], "") == "m"`, false},
		{"object.get on request", `deny if object.get(input.request, "input_tokens_estimate", 0) > 1`, true},
		{"object.get on request, other member", `deny if object.get(input.request, "model", "") == "m"`, false},
		{"object.get, computed path", `deny if { some k in ["model"]; object.get(input.request, k, "") == "m" }`, true},
		{"object.get, default reads", `deny if object.get(input, ["request", "model"], input.request.input_tokens_estimate) == 1`, true},
		{"input whole, walked", `deny if { walk(input, [p, v]); p[1] == "input_tokens_estimate"; v > 1 }`, true},
		{"computed key", `deny if { some k; input.request[k] == 5 }`, true},
		{"computed key above", `deny if { some k; input[k].model == "m" }`, true},
		{"iterated", `deny if { some v in input.request; v == 5 }`, true},
		{"with input", "allow if input.request.model == \"m\"\ndeny if not allow with input as {}", true},
		{"imported request", "import input.request as req\ndeny if req.input_tokens_estimate > 1", true},
		{"imported request, other member", "import input.request as req\ndeny if req.model == \"m\"", false},
		{"in another ref's key", `deny if data.limits[input.request.input_tokens_estimate]`, true},
		{"in an input ref's key", `deny if input.identity.labels[input.request.input_tokens_estimate]`, true},
		{"iterated, keys used", `deny if { some k, _ in input.request; k == "input_tokens_estimate" }`, true},
		{"bound member", `deny if { x := input.request.input_tokens_estimate; x > 1 }`, true},
		{"request as a rule", "req := input.request\ndeny if req.model == \"m\"", true},
		{"every", `deny if every v in input.request { v != 1 }`, true},
		{"comprehension", `deny if count([k | some k, _ in input.request]) > 3`, true},
		{"bound twice, read through the second", "deny if { x := input.identity; y := x; x = input.request; y.input_tokens_estimate > 1 }", true},
		{"unified with a ref of itself", "deny if { x := input.identity; x = x.labels }", true},
		{"no input", `deny if data.x.y == 1`, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			m, err := ast.ParseModuleWithOpts("p.rego", "package p\n"+c.rego+"\n", ast.ParserOptions{RegoVersion: ast.RegoV1})
			if err != nil {
				t.Fatal(err)
			}
			cmp := ast.NewCompiler()
			cmp.Compile(map[string]*ast.Module{"p.rego": m})
			if cmp.Failed() {
				t.Fatal(cmp.Errors)
			}
			if got := readsInput(cmp, tokenEstimatePath); got != c.want {
				t.Errorf("readsInput = %v, want %v", got, c.want)
			}
		})
	}
}

// TestEngineReadsTokenEstimate follows the engine's answer through the
// shipped policy and reloads of a policy directory, and checks that the
// member a policy reads is the one it is judged on.
func TestEngineReadsTokenEstimate(t *testing.T) {
	ref := refEngine(t)
	if ref.ReadsTokenEstimate() {
		t.Error("the shipped policy does not read input.request.input_tokens_estimate; Sluice would count every prompt for it")
	}
	// And indeed its decisions do not change with it.
	ignore := cmpopts.IgnoreFields(Decision{}, "DecisionID", "Remembered")
	for _, in := range append(refInputs(), refRandomInputs(500)...) {
		var ds [2]*Decision
		for i, n := range []int{0, 1_000_000} {
			in.Request.InputTokensEstimate = n
			d, err := ref.Evaluate(context.Background(), in)
			if err != nil {
				t.Fatal(err)
			}
			ds[i] = d
		}
		if diff := cmp.Diff(ds[0], ds[1], ignore); diff != "" {
			t.Fatalf("the shipped policy decides differently on the estimate (-0 +1,000,000):\n%s", diff)
		}
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "policy.rego")
	write := func(src string) {
		t.Helper()
		if err := os.WriteFile(file, []byte("package sluice\n"+src+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(`decision := {"allow": input.request.input_tokens_estimate <= 1000}`)
	e := newTestEngine(t, Options{Dir: dir})
	if !e.ReadsTokenEstimate() {
		t.Fatal("ReadsTokenEstimate = false for a policy that reads it")
	}
	in := input("gpt-4o")
	for _, c := range []struct {
		tokens int
		allow  bool
	}{{1000, true}, {1001, false}} {
		in.Request.InputTokensEstimate = c.tokens
		d, err := e.Evaluate(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		if d.Allow != c.allow {
			t.Errorf("%d tokens: allow = %v, want %v", c.tokens, d.Allow, c.allow)
		}
	}
	write(`decision := {"allow": input.request.model == "gpt-4o"}`)
	if err := e.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	if e.ReadsTokenEstimate() {
		t.Error("ReadsTokenEstimate = true after a reload to a policy that does not read it")
	}
}
