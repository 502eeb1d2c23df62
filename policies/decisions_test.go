package policies_test

import (
	"context"
	"encoding/json"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/loader"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"go.yaml.in/yaml/v3"
)

var update = flag.Bool("update", false, "rewrite testdata/decisions/*.golden.json from the policy's decisions")

// referenceDir is the reference policy set, loaded as Sluice loads it.
const referenceDir = "sluice"

// decisionCase is one testdata/decisions/<name>.json. Input and Catalogue
// are JSON merge patches (RFC 7386: null deletes) applied to
// testdata/input.json and to the catalogue of examples/sluice.yaml; Config
// replaces data.sluice.config when present.
type decisionCase struct {
	About     string         `json:"about"`
	Input     map[string]any `json:"input"`
	Catalogue map[string]any `json:"catalogue"`
	Config    map[string]any `json:"config"`
}

// TestReferenceDecisions evaluates data.sluice.decision of the reference
// policy, as Sluice would, for every case in testdata/decisions, checks it
// against the decision contract, and compares it with the golden file.
func TestReferenceDecisions(t *testing.T) {
	compiler := compileReference(t)
	policyData := referenceData(t)
	catalogue, config := exampleCatalogue(t)
	base := readJSON(t, filepath.Join("testdata", "input.json"))
	paths, err := filepath.Glob(filepath.Join("testdata", "decisions", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range paths {
		if strings.HasSuffix(path, ".golden.json") {
			continue
		}
		name := strings.TrimSuffix(filepath.Base(path), ".json")
		t.Run(name, func(t *testing.T) {
			var c decisionCase
			if err := json.Unmarshal(readFile(t, path), &c); err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			if c.About == "" {
				t.Errorf("%s: say what the case is about", path)
			}
			input := mergePatch(base, c.Input).(map[string]any)
			cat := mergePatch(catalogue, c.Catalogue).(map[string]any)
			cfg := config
			if c.Config != nil {
				cfg = c.Config
			}
			decision := evaluate(t, compiler, policyData, cat, cfg, "data.sluice.decision", input)
			checkContract(t, decision, input, cat)
			golden(t, strings.TrimSuffix(path, ".json")+".golden.json", decision)
		})
	}
}

// TestReferenceNotices checks that data.json fits examples/sluice.yaml:
// under `make run` the only notice is the development flag's.
func TestReferenceNotices(t *testing.T) {
	compiler := compileReference(t)
	policyData := referenceData(t)
	catalogue, config := exampleCatalogue(t)
	got := evaluate(t, compiler, policyData, catalogue, config, "data.sluice.notices", nil)
	want := []any{"development policy: anonymous callers may use the built-in mock model (data.sluice.config.dev_anonymous_mock)"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("notices under examples/sluice.yaml (-want +got):\n%s", diff)
	}
	got = evaluate(t, compiler, policyData, catalogue, map[string]any{}, "data.sluice.notices", nil)
	if diff := cmp.Diff([]any{}, got); diff != "" {
		t.Errorf("notices without the development flag (-want +got):\n%s", diff)
	}
}

// compileReference compiles the reference policy's modules, tests
// excluded, strictly, as Sluice does.
func compileReference(t testing.TB) *ast.Compiler {
	t.Helper()
	b, err := loader.NewFileLoader().
		WithRegoVersion(ast.RegoV1).
		WithFilter(func(_ string, info fs.FileInfo, depth int) bool {
			return strings.HasSuffix(info.Name(), "_test.rego") ||
				(info.IsDir() && depth > 0 && info.Name() == "testdata")
		}).
		AsBundle(referenceDir)
	if err != nil {
		t.Fatalf("loading %s: %v", referenceDir, err)
	}
	modules := map[string]*ast.Module{}
	for _, m := range b.Modules {
		modules[m.Path] = m.Parsed
	}
	c := ast.NewCompiler().WithStrict(true)
	if c.Compile(modules); c.Failed() {
		t.Fatalf("compiling %s: %v", referenceDir, c.Errors)
	}
	return c
}

// referenceData is the reference policy's data.json, at its data path.
func referenceData(t testing.TB) map[string]any {
	t.Helper()
	return readJSON(t, filepath.Join(referenceDir, "data.json"))
}

// evaluate runs query with Sluice's catalogue and config merged into the
// policy's own data under data.sluice, as Sluice places them.
func evaluate(t testing.TB, c *ast.Compiler, policyData, catalogue, config map[string]any, query string, input map[string]any) any {
	t.Helper()
	sluice := map[string]any{"config": config}
	for k, v := range catalogue {
		sluice[k] = v
	}
	data := mergePatch(policyData, map[string]any{"sluice": sluice}).(map[string]any)
	opts := []func(*rego.Rego){
		rego.Query(query),
		rego.Compiler(c),
		rego.Store(inmem.NewFromObjectWithOpts(data, inmem.OptReturnASTValuesOnRead(true))),
		rego.StrictBuiltinErrors(true),
	}
	if input != nil {
		opts = append(opts, rego.Input(input))
	}
	rs, err := rego.New(opts...).Eval(context.Background())
	if err != nil {
		t.Fatalf("evaluating %s: %v", query, err)
	}
	if len(rs) != 1 || len(rs[0].Expressions) != 1 {
		t.Fatalf("%s is undefined", query)
	}
	return rs[0].Expressions[0].Value
}

// golden compares got with the golden file at path, or rewrites it.
func golden(t *testing.T, path string, got any) {
	t.Helper()
	out, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	out = append(out, '\n')
	if *update {
		if err := os.WriteFile(path, out, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want := readFile(t, path)
	if diff := cmp.Diff(string(want), string(out)); diff != "" {
		t.Errorf("%s differs (-want +got); rerun with -update if the change is intended:\n%s", path, diff)
	}
}

// checkContract holds a decision to the decision document of
// docs/policy-reference.md, as Sluice would check it before obeying it.
func checkContract(t *testing.T, decision any, input, catalogue map[string]any) {
	t.Helper()
	d, ok := decision.(map[string]any)
	if !ok {
		t.Fatalf("decision is %T, want an object", decision)
	}
	allow, ok := d["allow"].(bool)
	if !ok {
		t.Fatalf("decision.allow is %v, want a boolean", d["allow"])
	}
	if reasons, _ := d["reasons"].([]any); len(reasons) == 0 {
		t.Errorf("decision.reasons is empty: every decision names its rules")
	}
	models, _ := catalogue["models"].(map[string]any)
	if !allow {
		status, _ := d["status"].(json.Number)
		if !slices.Contains([]string{"401", "403", "429"}, status.String()) {
			t.Errorf("decision.status = %v, want 401, 403 or 429", d["status"])
		}
		reason, _ := d["reason"].(string)
		if reason == "" {
			t.Error("a deny has no reason")
		}
		msg, _ := input["request"].(map[string]any)["last_user_message"].(string)
		if msg != "" && strings.Contains(reason, msg) {
			t.Error("the reason echoes the prompt")
		}
		return
	}
	api := input["request"].(map[string]any)["api"]
	if _, listed := d["models"]; listed != (api == "models") {
		t.Errorf("decision.models present = %v for api %v", listed, api)
	}
	route, _ := d["route"].(map[string]any)
	for _, m := range routeModels(route) {
		if _, ok := models[m]; !ok {
			t.Errorf("route names model %q, which is not configured", m)
		}
	}
	if split, _ := route["split"].([]any); split != nil && len(split) < 2 {
		t.Errorf("route.split has %d targets", len(split))
	}
	if s, ok := route["sticky"].(string); ok && !slices.Contains([]string{"", "user", "key", "tenant", "session"}, s) {
		t.Errorf("route.sticky = %q", s)
	}
}

// routeModels lists every model a route names.
func routeModels(route map[string]any) []string {
	var names []string
	if m, ok := route["model"].(string); ok {
		names = append(names, m)
	}
	for _, key := range []string{"split", "fallback"} {
		targets, _ := route[key].([]any)
		for _, target := range targets {
			m, _ := target.(map[string]any)["model"].(string)
			names = append(names, m)
		}
	}
	return names
}

// exampleConfig is the part of examples/sluice.yaml that becomes
// data.sluice: the catalogue, and policy.data as data.sluice.config.
type exampleConfig struct {
	Backends []struct {
		Name, Provider string
		Labels         map[string]string
	}
	Models []struct {
		Name, Backend string
		Upstream      string `yaml:"upstream_model"`
		Aliases       []string
		Labels        map[string]string
	}
	Tenants []struct {
		Name, Region  string
		Models, Roles []string
		Labels        map[string]string
		Teams         []struct {
			Name   string
			Models []string
			Labels map[string]string
		}
	}
	Policy struct {
		Data map[string]any
	}
}

// exampleCatalogue is data.sluice as Sluice fills it for `make run`:
// tenants, models and backends, with empty lists and maps rather than
// missing ones, and the config from policy.data.
func exampleCatalogue(t testing.TB) (catalogue, config map[string]any) {
	t.Helper()
	var cfg exampleConfig
	if err := yaml.Unmarshal(readFile(t, filepath.Join("..", "examples", "sluice.yaml")), &cfg); err != nil {
		t.Fatalf("examples/sluice.yaml: %v", err)
	}
	backends, models, tenants := map[string]any{}, map[string]any{}, map[string]any{}
	providers := map[string]string{}
	for _, b := range cfg.Backends {
		providers[b.Name] = b.Provider
		backends[b.Name] = map[string]any{"provider": b.Provider, "labels": stringMap(b.Labels)}
	}
	for _, m := range cfg.Models {
		upstream := m.Upstream
		if upstream == "" {
			upstream = m.Name
		}
		models[m.Name] = map[string]any{
			"backend": m.Backend, "provider": providers[m.Backend], "upstream_model": upstream,
			"aliases": stringList(m.Aliases), "labels": stringMap(m.Labels),
		}
	}
	for _, tn := range cfg.Tenants {
		teams := map[string]any{}
		for _, tm := range tn.Teams {
			teams[tm.Name] = map[string]any{"models": stringList(tm.Models), "labels": stringMap(tm.Labels)}
		}
		tenants[tn.Name] = map[string]any{
			"models": stringList(tn.Models), "roles": stringList(tn.Roles), "labels": stringMap(tn.Labels),
			"region": tn.Region, "teams": teams,
		}
	}
	config = cfg.Policy.Data
	if config == nil {
		config = map[string]any{}
	}
	// A round trip through JSON gives the same types as the golden files.
	catalogue = roundTrip(t, map[string]any{"tenants": tenants, "models": models, "backends": backends})
	return catalogue, roundTrip(t, config)
}

func stringList(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

func stringMap(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// mergePatch applies patch to doc as RFC 7386 says: objects merge key by
// key, null deletes, anything else replaces. doc is not modified.
func mergePatch(doc any, patch any) any {
	p, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	d, _ := doc.(map[string]any)
	out := make(map[string]any, len(d)+len(p))
	for k, v := range d {
		out[k] = v
	}
	for k, v := range p {
		if v == nil {
			delete(out, k)
			continue
		}
		out[k] = mergePatch(out[k], v)
	}
	return out
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// readJSON decodes a JSON object, keeping numbers as json.Number so that
// they reach the policy exactly as written.
func readJSON(t testing.TB, path string) map[string]any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(string(readFile(t, path))))
	dec.UseNumber()
	var v map[string]any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return v
}

func roundTrip(t testing.TB, v map[string]any) map[string]any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.UseNumber()
	var out map[string]any
	if err := dec.Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

// BenchmarkReferenceDecision measures one evaluation of the reference
// policy for an ordinary allowed call, prepared once as Sluice prepares it.
func BenchmarkReferenceDecision(b *testing.B) {
	compiler := compileReference(b)
	catalogue, config := exampleCatalogue(b)
	sluice := map[string]any{"config": config}
	for k, v := range catalogue {
		sluice[k] = v
	}
	data := mergePatch(referenceData(b), map[string]any{"sluice": sluice}).(map[string]any)
	pq, err := rego.New(
		rego.Query("data.sluice.decision"),
		rego.Compiler(compiler),
		rego.Store(inmem.NewFromObjectWithOpts(data, inmem.OptReturnASTValuesOnRead(true))),
	).PrepareForEval(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	input, err := ast.InterfaceToValue(readJSON(b, filepath.Join("testdata", "input.json")))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		rs, err := pq.Eval(context.Background(), rego.EvalParsedInput(input))
		if err != nil || len(rs) != 1 {
			b.Fatalf("eval: %v %v", rs, err)
		}
	}
}
