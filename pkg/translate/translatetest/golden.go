// Package translatetest is the golden-file harness shared by translator
// tests. It loads request, response and stream cases from a package's
// testdata, runs them through a translate.Translator, renders the result as
// text and compares it with a golden file; `go test -update` rewrites the
// golden files instead. The -update flag is registered here, once, so a
// test package that imports translatetest must not register its own. Stream cases are fed in adversarial splits (every
// byte, every split point, random cuts with a fixed seed) and must translate
// identically however the bytes were cut.
package translatetest

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files and fuzz seed corpora in testdata")

// Updating reports whether the test run was asked to rewrite golden files.
func Updating() bool { return *update }

// Golden compares got with the file at path, or writes it under -update.
func Golden(t testing.TB, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
			t.Fatalf("golden %s: %v", path, err)
		}
		if err := os.WriteFile(path, got, 0o600); err != nil {
			t.Fatalf("golden %s: %v", path, err)
		}
		return
	}
	want, err := os.ReadFile(path) //nolint:gosec // a fixture path chosen by the test
	if err != nil {
		t.Fatalf("golden %s: %v (run `go test -update` to create it)", path, err)
	}
	if !bytes.Equal(want, got) {
		t.Errorf("golden %s differs (-want +got):\n%s", path, cmp.Diff(string(want), string(got)))
	}
}

// ReadFile reads a fixture or fails the test.
func ReadFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path) //nolint:gosec // a fixture path chosen by the test
	if err != nil {
		t.Fatalf("fixture: %v", err)
	}
	return b
}

// Glob lists fixture files matching pattern, failing the test when there are none.
func Glob(t testing.TB, pattern string) []string {
	t.Helper()
	files, err := filepath.Glob(pattern)
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures match %s (%v)", pattern, err)
	}
	return files
}

// GoldenPath is where the expected output of a fixture file lives: the
// fixture's path with its extension replaced by .golden.
func GoldenPath(fixture string) string {
	return strings.TrimSuffix(fixture, filepath.Ext(fixture)) + ".golden"
}

// Indent indents JSON output for a golden file with encoding/json, failing
// the test if it is not valid JSON.
func Indent(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Indent(&buf, b, "", "  "); err != nil {
		t.Fatalf("output is not valid JSON: %v\n%s", err, b)
	}
	return buf.Bytes()
}
