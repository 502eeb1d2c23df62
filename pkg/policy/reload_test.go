package policy

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// reloads collects what OnReload reports.
type reloads chan error

func (r reloads) next(t *testing.T) error {
	t.Helper()
	select {
	case err := <-r:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("no reload within 10s")
		return nil
	}
}

func limitClass(t *testing.T, e *Engine) string {
	t.Helper()
	d, err := e.Evaluate(context.Background(), input("gpt-4o"))
	if err != nil {
		t.Fatalf("Evaluate: %v", err)
	}
	return d.LimitClass
}

func TestHotReload(t *testing.T) {
	dir := t.TempDir()
	policy := filepath.Join(dir, "policy.rego")
	replaceFile(t, "testdata/reload/v1.rego", policy)
	got := make(reloads, 10)
	e := newTestEngine(t, Options{Dir: dir, OnReload: func(err error) { got <- err }})
	if c := limitClass(t, e); c != "v1" {
		t.Fatalf("limit class = %q, want v1", c)
	}
	first := e.Revision()

	steps := []struct {
		fixture string
		wantErr string // "" for a reload that succeeds
		want    string // the limit class served afterwards
	}{
		{"testdata/reload/v2.rego", "", "v2"},
		{"testdata/reload/broken.rego", "rego_parse_error", "v2"},
		{"testdata/reload/strict.rego", "assigned var unused", "v2"},
		{"testdata/reload/v1.rego", "", "v1"},
	}
	for _, s := range steps {
		replaceFile(t, s.fixture, policy)
		err := got.next(t)
		switch {
		case s.wantErr == "" && err != nil:
			t.Fatalf("%s: reload error %v", s.fixture, err)
		case s.wantErr != "" && (err == nil || !strings.Contains(err.Error(), s.wantErr)):
			t.Fatalf("%s: reload error = %v, want one containing %q", s.fixture, err, s.wantErr)
		}
		if c := limitClass(t, e); c != s.want {
			t.Fatalf("after %s: limit class = %q, want %q", s.fixture, c, s.want)
		}
	}
	if e.Revision() != first {
		t.Errorf("revision = %s after returning to v1, want %s", e.Revision(), first)
	}
	if s := e.Stats(); s.Reloads != 2 || s.ReloadErrors != 2 {
		t.Errorf("Stats = %+v, want 2 reloads and 2 reload errors", s)
	}
}

func TestReloadIgnoresTestsAndUnchangedContent(t *testing.T) {
	dir := copyDir(t, "testdata/catalogue")
	e := newTestEngine(t, Options{Dir: dir, Catalogue: testCatalogue})
	rev := e.Revision()
	// Neither a test file nor testdata is part of the policy.
	replaceFile(t, "testdata/reload/broken.rego", filepath.Join(dir, "policy_test.rego"))
	replaceFile(t, "testdata/reload/broken.rego", filepath.Join(dir, "testdata", "data.json"))
	if err := e.Reload(context.Background()); err != nil {
		t.Fatalf("Reload: %v", err)
	}
	if e.Revision() != rev || e.Stats().Reloads != 0 {
		t.Errorf("revision %s -> %s, %d reloads; want no reload", rev, e.Revision(), e.Stats().Reloads)
	}
	// A helper module in a subdirectory is.
	replaceFile(t, "testdata/reload/broken.rego", filepath.Join(dir, "lib", "lib.rego"))
	if err := e.Reload(context.Background()); err == nil || !strings.Contains(err.Error(), "lib.rego") {
		t.Fatalf("Reload = %v, want a parse error in lib.rego", err)
	}
}

func TestReservedData(t *testing.T) {
	tests := []struct {
		name, file, content, want string
	}{
		{"data file", "data.json", `{"sluice": {"tenants": {}}}`,
			"policy data sets data.sluice.tenants, which Sluice fills from its configuration"},
		{"rule", "rules.rego", "package sluice\n\nmodels contains \"x\"\n",
			"rules.rego:3: a rule defines data.sluice.models, which Sluice fills from its configuration"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := copyDir(t, "testdata/reload")
			for _, f := range []string{"v2.rego", "broken.rego", "strict.rego"} {
				removeFile(t, filepath.Join(dir, f))
			}
			writeFile(t, filepath.Join(dir, tt.file), tt.content)
			_, err := New(context.Background(), Options{Dir: dir})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestSetCatalogueKeepsEvaluating(t *testing.T) {
	e := newTestEngine(t, Options{Dir: "testdata/catalogue", Catalogue: testCatalogue})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errs := make(chan error, 1)
	go func() {
		for ctx.Err() == nil {
			if _, err := e.Evaluate(context.Background(), input("gpt-4o")); err != nil {
				errs <- err
				return
			}
		}
		errs <- nil
	}()
	for range 20 {
		if err := e.SetCatalogue(testCatalogue); err != nil {
			t.Fatal(err)
		}
	}
	cancel()
	if err := <-errs; err != nil && !errors.Is(err, context.Canceled) {
		t.Fatalf("Evaluate during SetCatalogue: %v", err)
	}
}

// TestReloadConfigMap follows a Kubernetes ConfigMap mount: the files are
// symlinks into ..data, itself a symlink to a timestamped directory that
// an update replaces by swapping the ..data link.
func TestReloadConfigMap(t *testing.T) {
	dir := t.TempDir()
	version := func(name, fixture string) {
		if err := os.Mkdir(filepath.Join(dir, name), 0o755); err != nil {
			t.Fatal(err)
		}
		replaceFile(t, fixture, filepath.Join(dir, name, "policy.rego"))
	}
	version("..2026_01", "testdata/reload/v1.rego")
	symlink(t, "..2026_01", filepath.Join(dir, "..data"))
	symlink(t, "..data/policy.rego", filepath.Join(dir, "policy.rego"))

	got := make(reloads, 10)
	e := newTestEngine(t, Options{Dir: dir, OnReload: func(err error) { got <- err }})
	if c := limitClass(t, e); c != "v1" {
		t.Fatalf("limit class = %q, want v1", c)
	}
	version("..2026_02", "testdata/reload/v2.rego")
	symlink(t, "..2026_02", filepath.Join(dir, "..data_tmp"))
	if err := os.Rename(filepath.Join(dir, "..data_tmp"), filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}
	if err := got.next(t); err != nil {
		t.Fatalf("reload: %v", err)
	}
	if c := limitClass(t, e); c != "v2" {
		t.Fatalf("limit class = %q, want v2", c)
	}
}

func symlink(t *testing.T, target, name string) {
	t.Helper()
	if err := os.Symlink(target, name); err != nil {
		t.Fatal(err)
	}
}
