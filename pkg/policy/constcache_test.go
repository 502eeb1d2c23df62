package policy

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
)

const constModule = `package p

limits := {"gold": 10, "silver": 5}

limit_of(tier) := limits[tier]

doubled_of(tier) := limit_of(tier) * 2

tier := input.tier

limit := limit_of(tier)

uses_input_rule := tier

now := time.now_ns()

calls_now_rule := now

with_input := x if {
	x := tier with input as {"tier": "gold"}
}

printing if print("x")

conflict(x) := 1 if x == 1

conflict(x) := 2 if x == 1

uses_conflict := conflict(1)

notices contains tier_name if some tier_name, _ in limits

notices contains tier if tier
`

func constCompiler(t *testing.T) *ast.Compiler {
	t.Helper()
	// Print statements kept, as a policy under test would have them.
	c := ast.NewCompiler().WithEnablePrintStatements(true)
	c.Compile(map[string]*ast.Module{"p.rego": ast.MustParseModule(constModule)})
	if c.Failed() {
		t.Fatal(c.Errors)
	}
	return c
}

func TestConstRules(t *testing.T) {
	cr := findConstRules(constCompiler(t))
	fn := func(name string, args ...*ast.Term) ast.Ref {
		return append(ast.Ref{ast.RefTerm(ast.MustParseRef("data.p." + name)...)}, args...)
	}
	tests := []struct {
		name string
		key  ast.Ref
		want bool
	}{
		{"data-only rule", ast.MustParseRef("data.p.limits"), true},
		{"data-only function", fn("limit_of", ast.StringTerm("gold")), true},
		{"function of a function", fn("doubled_of", ast.StringTerm("gold")), true},
		{"reads input", ast.MustParseRef("data.p.tier"), false},
		{"calls a function with input", ast.MustParseRef("data.p.limit"), false},
		{"uses a rule that reads input", ast.MustParseRef("data.p.uses_input_rule"), false},
		{"non-deterministic built-in", ast.MustParseRef("data.p.now"), false},
		{"uses a non-deterministic rule", ast.MustParseRef("data.p.calls_now_rule"), false},
		{"with", ast.MustParseRef("data.p.with_input"), false},
		{"print", ast.MustParseRef("data.p.printing"), false},
		{"a partial rule one of whose definitions reads input", ast.MustParseRef(`data.p.notices["gold"]`), false},
		{"no such rule", ast.MustParseRef("data.p.nothing"), false},
		{"base data", ast.MustParseRef("data.q"), false},
		{"empty key", ast.Ref{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := cr.constant(tt.key); got != tt.want {
				t.Errorf("constant(%v) = %v, want %v", tt.key, got, tt.want)
			}
		})
	}
}

// TestConstCacheReuse checks that a constant value computed in one
// evaluation is served to the next, that input-dependent values are not,
// and that an evaluation that fails shares nothing.
func TestConstCacheReuse(t *testing.T) {
	c := constCompiler(t)
	shared := newConstCache(findConstRules(c))
	ctx := context.Background()
	eval := func(query string, input ast.Value) (rego.ResultSet, *evalCache, error) {
		t.Helper()
		pq, err := rego.New(rego.Query(query), rego.Compiler(c), rego.Store(inmem.New())).PrepareForEval(ctx)
		if err != nil {
			t.Fatal(err)
		}
		vc := newEvalCache(shared)
		rs, err := pq.Eval(ctx, rego.EvalParsedInput(input), rego.EvalVirtualCache(vc))
		if err == nil {
			vc.commit()
		}
		return rs, vc, err
	}
	gold := ast.MustParseTerm(`{"tier": "gold"}`).Value
	silver := ast.MustParseTerm(`{"tier": "silver"}`).Value
	rs, _, err := eval("x = data.p.limit", gold)
	if err != nil || len(rs) != 1 || fmt.Sprint(rs[0].Bindings["x"]) != "10" {
		t.Fatalf("limit for gold = %v, %v", rs, err)
	}
	if _, ok := shared.get(append(ast.Ref{ast.RefTerm(ast.MustParseRef("data.p.limit_of")...)}, ast.StringTerm("gold"))); !ok {
		t.Error("limit_of(\"gold\") was not shared")
	}
	if _, ok := shared.get(ast.MustParseRef("data.p.limit")); ok {
		t.Error("limit, which reads input, was shared")
	}
	rs, _, err = eval("x = data.p.limit", silver)
	if err != nil || len(rs) != 1 || fmt.Sprint(rs[0].Bindings["x"]) != "5" {
		t.Fatalf("limit for silver = %v, %v: want 5", rs, err)
	}
	if _, _, err := eval("x = data.p.uses_conflict", gold); err == nil {
		t.Fatal("conflicting function: want an error")
	}
	if _, ok := shared.get(append(ast.Ref{ast.RefTerm(ast.MustParseRef("data.p.conflict")...)}, ast.NumberTerm("1"))); ok {
		t.Error("a value from a failed evaluation was shared")
	}
	if _, _, err := eval("x = data.p.uses_conflict", gold); err == nil {
		t.Error("conflicting function: want an error on the second evaluation too")
	}
}

// TestConstCacheConcurrent evaluates the reference policy from several
// goroutines at once, so the shared values are written while others read
// them, and checks every decision against the same engine's with nothing
// shared.
func TestConstCacheConcurrent(t *testing.T) {
	ins := refInputs()[:60]
	e := refEngineWith(t, true)
	ctx := context.Background()
	shared := e.cur.Load()
	unshared := *shared
	unshared.consts = newConstCache(&constRules{root: &constNode{}})
	e.cur.Store(&unshared)
	want := make([]*Decision, len(ins))
	for i, in := range ins {
		want[i], _ = e.Evaluate(ctx, in)
	}
	e.cur.Store(shared)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for _, in := range ins {
				if _, err := e.Evaluate(ctx, in); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if unshared.consts.n.Load() != 0 || shared.consts.n.Load() == 0 {
		t.Errorf("shared values: %d without constant rules, %d with", unshared.consts.n.Load(), shared.consts.n.Load())
	}
	for i, in := range ins {
		got, _ := e.Evaluate(ctx, in)
		if diff := cmp.Diff(want[i], got, ignoreID); diff != "" {
			t.Errorf("input %d with shared values (-without +with):\n%s", i, diff)
		}
	}
}

// TestConstCacheStartsAfreshWhenFull checks the bound on shared values: a
// full cache is emptied, and keeps taking values.
func TestConstCacheStartsAfreshWhenFull(t *testing.T) {
	c := newConstCache(&constRules{root: &constNode{}})
	entries := make([]constEntry, maxConstEntries+10)
	for i := range entries {
		entries[i] = constEntry{key: ast.Ref{ast.DefaultRootDocument, ast.IntNumberTerm(i)}, value: ast.BooleanTerm(true)}
	}
	c.add(entries)
	if n := c.n.Load(); n != 10 {
		t.Errorf("%d values after %d, want 10", n, len(entries))
	}
	if _, ok := c.get(entries[0].key); ok {
		t.Error("the first value survived the cache filling up")
	}
	if e, ok := c.get(entries[len(entries)-1].key); !ok || e.value == nil {
		t.Error("the last value is missing")
	}
}
