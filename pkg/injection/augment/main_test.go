package main

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCommittedFilesAreCurrent regenerates both files and requires them
// to equal the committed ones: the corpus is a function of the code and
// the seed.
func TestCommittedFilesAreCurrent(t *testing.T) {
	dir := t.TempDir()
	if err := run([]string{"-out", dir}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"augment.jsonl", "augment_heldout.jsonl"} {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(filepath.Join("..", "testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("testdata/%s is stale: run go generate in pkg/injection", name)
		}
	}
}

func read(t *testing.T, path string) []sample {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []sample
	for _, line := range bytes.Split(bytes.TrimSpace(raw), []byte("\n")) {
		var s sample
		if err := json.Unmarshal(line, &s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// TestSplitsAreDisjoint checks that no held-out prompt also appears in
// training, and that both splits hold both labels and every kind.
func TestSplitsAreDisjoint(t *testing.T) {
	train := read(t, "../testdata/augment.jsonl")
	held := read(t, "../testdata/augment_heldout.jsonl")
	seen := map[string]bool{}
	for _, s := range train {
		seen[s.Text] = true
	}
	for _, tt := range []struct {
		name    string
		samples []sample
	}{{"augment", train}, {"augment_heldout", held}} {
		t.Run(tt.name, func(t *testing.T) {
			kinds := map[string]int{}
			labels := [2]int{}
			for _, s := range tt.samples {
				kinds[s.Kind]++
				labels[s.Label]++
				if tt.name == "augment_heldout" && seen[s.Text] {
					t.Errorf("held-out prompt also in training: %.80q", s.Text)
				}
			}
			if labels[0] == 0 || labels[1] == 0 {
				t.Errorf("labels %v: want both", labels)
			}
			for _, k := range append(append([]kind(nil), benignKinds...), attackKinds...) {
				if kinds[k.name] == 0 {
					t.Errorf("no %s prompts", k.name)
				}
			}
		})
	}
}

func TestFill(t *testing.T) {
	g := &gen{split: train}
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"{unknown} and {", "{unknown} and {"},
		{"a {tone2} b", "a {tone2} b"},
		{"JSON {x}", "JSON {x}"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := g.fill(tt.in, map[string][]string{"y": {"z"}}); got != tt.want {
				t.Errorf("fill(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// FuzzFill feeds arbitrary templates to the substitution: it must not
// panic, and a template naming no known filler comes back unchanged.
func FuzzFill(f *testing.F) {
	for _, s := range []string{"", "{", "}", "{}", "{tone}", "a {tone} {b", "{{tone}}", "x}{y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, template string) {
		g := &gen{rng: rand.New(rand.NewPCG(1, 2)), split: heldout} //nolint:gosec // a test's fixed seed
		got := g.fill(template, map[string][]string{"tone": {"calm", "dry"}})
		if !strings.Contains(template, "{tone}") && got != template {
			t.Errorf("fill(%q) = %q, want it unchanged", template, got)
		}
	})
}
