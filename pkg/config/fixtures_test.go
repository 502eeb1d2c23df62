package config

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/invalid/*.err from the current output")

// TestInvalidFixtures loads every testdata/invalid/<kind>.yaml and expects
// exactly the error text in <kind>.err. Run with -update to regenerate,
// then review the diff: the .err files are the user-facing messages.
func TestInvalidFixtures(t *testing.T) {
	files, err := filepath.Glob("testdata/invalid/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no fixtures found")
	}
	for _, file := range files {
		kind := strings.TrimSuffix(filepath.Base(file), ".yaml")
		t.Run(kind, func(t *testing.T) {
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			_, err = Parse(filepath.Base(file), src, LoadOptions{})
			if err == nil {
				t.Fatal("Parse succeeded, want an error")
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("errors.Is(err, ErrInvalid) = false for %v", err)
			}
			golden := strings.TrimSuffix(file, ".yaml") + ".err"
			if *update {
				if err := os.WriteFile(golden, []byte(err.Error()+"\n"), 0o600); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, rerr := os.ReadFile(golden)
			if rerr != nil {
				t.Fatalf("missing %s (run go test -update): %v", golden, rerr)
			}
			if got := err.Error(); got != strings.TrimSuffix(string(want), "\n") {
				t.Errorf("error mismatch\n got: %s\nwant: %s", got, want)
			}
		})
	}
}

// TestValidFixtures loads every testdata/valid/*.yaml and the shipped
// example, with and without resolving secrets.
func TestValidFixtures(t *testing.T) {
	files, err := filepath.Glob("testdata/valid/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, "../../examples/sluice.yaml")
	for _, file := range files {
		for _, resolve := range []bool{false, true} {
			t.Run(filepath.Base(file), func(t *testing.T) {
				opts := LoadOptions{ResolveSecrets: resolve, LookupEnv: noEnv}
				snap, err := Load(file, opts)
				if err != nil {
					t.Fatalf("Load: %v", err)
				}
				if len(snap.Models) == 0 || len(snap.Backends) == 0 {
					t.Errorf("loaded %d models and %d backends", len(snap.Models), len(snap.Backends))
				}
			})
		}
	}
}

func noEnv(string) (string, bool) { return "", false }
