// Package translatetest is the golden-file harness shared by translator
// tests. It loads request, response and stream cases from a package's
// testdata, runs them through a translate.Translator, renders the result as
// text and compares it with a golden file; `go test -update` rewrites the
// golden files instead. Stream cases are fed in adversarial splits (every
// byte, every split point, random cuts with a fixed seed) and must translate
// identically however the bytes were cut.
package translatetest

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
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
