package policies_test

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/cover"
	"github.com/open-policy-agent/opa/v1/format"
	"github.com/open-policy-agent/opa/v1/loader"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/tester"
)

// minCoverage is the rule coverage, in percent, every policy set must keep.
const minCoverage = 90.0

// policySets are the directories Sluice can load as policy.dir: the
// reference set, and each example. Each is loaded and tested on its own,
// as Sluice would load it, because several define package sluice.
func policySets(t *testing.T) []string {
	t.Helper()
	sets := []string{"sluice"}
	entries, err := os.ReadDir("examples")
	if err != nil {
		t.Fatalf("reading examples: %v", err)
	}
	for _, e := range entries {
		if e.IsDir() {
			sets = append(sets, filepath.Join("examples", e.Name()))
		}
	}
	return sets
}

// regoFiles lists every .rego file under dir.
func regoFiles(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".rego") {
			files = append(files, path)
		}
		return err
	})
	if err != nil {
		t.Fatalf("walking %s: %v", dir, err)
	}
	return files
}

// skipTestdata keeps example inputs out of the policy's data, as Sluice does.
func skipTestdata(_ string, info fs.FileInfo, depth int) bool {
	return info.IsDir() && depth > 0 && info.Name() == "testdata"
}

func isTest(path string) bool { return strings.HasSuffix(path, "_test.rego") }

// TestRego runs every policy set's Rego tests with OPA's test runner and
// holds each set to minCoverage.
func TestRego(t *testing.T) {
	for _, set := range policySets(t) {
		t.Run(set, func(t *testing.T) {
			result, err := loader.NewFileLoader().
				WithRegoVersion(ast.RegoV1).
				WithProcessAnnotation(true).
				Filtered([]string{set}, skipTestdata)
			if err != nil {
				t.Fatalf("loading: %v", err)
			}
			modules := result.ParsedModules()
			cov := cover.New()
			runner := tester.NewRunner().
				SetStore(inmem.NewFromObject(result.Documents)).
				SetModules(modules).
				SetCoverageQueryTracer(cov).
				SetCoverageRuns(nil).
				RaiseBuiltinErrors(true).
				SetTimeout(10 * time.Second)
			ch, err := runner.RunTests(context.Background(), nil)
			if err != nil {
				t.Fatalf("running tests: %v", err)
			}
			reportTests(t, ch)
			reportCoverage(t, cov, modules)
		})
	}
}

// reportTests logs every result, in a stable order, and fails the test on
// any failure or error. A builtin error fails too: the policy must not
// depend on OPA turning errors into undefined.
func reportTests(t *testing.T, ch chan *tester.Result) {
	t.Helper()
	var results []*tester.Result
	for r := range ch {
		results = append(results, r)
	}
	if len(results) == 0 {
		t.Fatal("no Rego tests found")
	}
	sort.Slice(results, func(i, j int) bool {
		if results[i].Package != results[j].Package {
			return results[i].Package < results[j].Package
		}
		return results[i].Name < results[j].Name
	})
	failed := 0
	for _, r := range results {
		t.Log(strings.TrimSpace(r.String()))
		if r.Fail || r.Error != nil {
			failed++
			t.Error(failure(r))
		}
	}
	t.Logf("%d/%d Rego tests passed", len(results)-failed, len(results))
}

// failure says where a Rego test failed and why.
func failure(r *tester.Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s.%s failed", r.Location, r.Package, r.Name)
	if r.FailedAt != nil {
		fmt.Fprintf(&b, " at %s: %s", r.FailedAt.Location, r.FailedAt)
	}
	if r.Error != nil {
		fmt.Fprintf(&b, ": %v", r.Error)
	}
	if len(r.Output) > 0 {
		fmt.Fprintf(&b, "\nprint output:\n%s", r.Output)
	}
	return b.String()
}

// reportCoverage measures rule coverage of the policy modules (tests
// excluded) and fails below minCoverage, naming what is not covered.
func reportCoverage(t *testing.T, cov *cover.Cover, modules map[string]*ast.Module) {
	t.Helper()
	policy := map[string]*ast.Module{}
	for path, m := range modules {
		if !isTest(path) {
			policy[path] = m
		}
	}
	report := cov.Report(policy)
	// The report also lists test files the tracer saw; only policy counts.
	var covered, notCovered int
	var missed []string
	for path := range policy {
		fr := report.Files[path]
		if fr == nil {
			continue
		}
		covered += fr.CoveredLines
		notCovered += fr.NotCoveredLines
		for _, r := range fr.NotCovered {
			missed = append(missed, fmt.Sprintf("%s:%d-%d", path, r.Start.Row, r.End.Row))
		}
	}
	if covered+notCovered == 0 {
		t.Fatal("no policy lines to cover")
	}
	pct := 100 * float64(covered) / float64(covered+notCovered)
	t.Logf("rule coverage: %.1f%% (%d of %d lines)", pct, covered, covered+notCovered)
	if pct < minCoverage {
		sort.Strings(missed)
		t.Errorf("rule coverage %.1f%% is below %.0f%%; not covered:\n%s", pct, minCoverage, strings.Join(missed, "\n"))
	}
}

// TestRegoLayout holds every policy module to having its own tests beside it.
func TestRegoLayout(t *testing.T) {
	files := regoFiles(t, ".")
	have := map[string]bool{}
	for _, f := range files {
		have[f] = true
	}
	for _, f := range files {
		if isTest(f) {
			continue
		}
		if want := strings.TrimSuffix(f, ".rego") + "_test.rego"; !have[want] {
			t.Errorf("%s has no %s", f, want)
		}
	}
}

// TestRegoFormatted fails on any file `opa fmt` would change.
func TestRegoFormatted(t *testing.T) {
	for _, path := range regoFiles(t, ".") {
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		want, err := format.SourceWithOpts(path, src, format.Opts{RegoVersion: ast.RegoV1})
		if err != nil {
			t.Errorf("formatting %s: %v", path, err)
			continue
		}
		if !bytes.Equal(src, want) {
			t.Errorf("%s is not formatted: run `opa fmt -w %s`", path, path)
		}
	}
}

// TestRegoStrict compiles every policy set, tests included, as Rego v1 in
// strict mode: unused variables and imports, shadowed input and data, and
// deprecated built-ins are errors, as they are when Sluice loads a policy.
func TestRegoStrict(t *testing.T) {
	for _, set := range policySets(t) {
		t.Run(set, func(t *testing.T) {
			modules := map[string]*ast.Module{}
			for _, path := range regoFiles(t, set) {
				src, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				m, err := ast.ParseModuleWithOpts(path, string(src), ast.ParserOptions{
					RegoVersion:       ast.RegoV1,
					ProcessAnnotation: true,
				})
				if err != nil {
					t.Fatalf("parsing: %v", err)
				}
				modules[path] = m
			}
			c := ast.NewCompiler().WithStrict(true).WithDefaultRegoVersion(ast.RegoV1)
			if c.Compile(modules); c.Failed() {
				t.Fatalf("strict compile: %v", c.Errors)
			}
		})
	}
}
