package main

import (
	"bytes"
	"flag"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

func TestReport(t *testing.T) {
	fixtures := []string{"--pii", "testdata/pii.jsonl", "--pii-challenge", "testdata/pii-challenge.jsonl", "--injection-cv", "testdata/cv.json", "--injection-test", "testdata/absent.jsonl"}
	tests := []struct {
		name   string
		args   []string
		golden string
	}{
		{"text", fixtures, "report.golden"},
		{"markdown", append([]string{"--markdown"}, fixtures...), "report.md.golden"},
		{"nothing committed", []string{"--pii", "testdata/absent.jsonl", "--pii-challenge", "testdata/absent.jsonl", "--injection-cv", "testdata/absent.json",
			"--injection-test", "testdata/absent.jsonl"}, "empty.golden"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if rc := run(tt.args, &stdout, &stderr); rc != 0 {
				t.Fatalf("rc = %d: %s", rc, stderr.String())
			}
			path := filepath.Join("testdata", tt.golden)
			if *update {
				if err := os.WriteFile(path, stdout.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(want), stdout.String()); diff != "" {
				t.Errorf("(-want +got; -update rewrites):\n%s", diff)
			}
		})
	}
}

// TestTestSplit checks the row's counts add up; the detector's scores
// belong to pkg/injection's tests.
func TestTestSplit(t *testing.T) {
	r, err := options{injectionTest: "testdata/injection-test.jsonl"}.testSplit()
	if err != nil {
		t.Fatal(err)
	}
	if r.Support != 2 || r.TP+r.FN != 2 || r.FP > 1 || !strings.Contains(r.Section, "3 prompts") {
		t.Errorf("row %+v", r)
	}
}

func TestRunRejects(t *testing.T) {
	for _, args := range [][]string{{"--nope"}, {"extra"}} {
		if rc := run(args, &bytes.Buffer{}, &bytes.Buffer{}); rc != 2 {
			t.Errorf("%q: rc = %d, want 2", args, rc)
		}
	}
	var stderr bytes.Buffer
	if rc := run([]string{"--injection-cv", "testdata/pii.jsonl", "--pii", "testdata/absent"}, &bytes.Buffer{}, &stderr); rc != 1 {
		t.Errorf("a malformed CV report: rc = %d, stderr %s", rc, stderr.String())
	}
}

func TestRowFigures(t *testing.T) {
	tests := []struct {
		r          row
		p, rec, f1 float64
	}{
		{row{TP: 8, FP: 2, FN: 0}, 0.8, 1, 2 * 0.8 / 1.8},
		{row{TP: 0, FP: 0, FN: 3}, math.NaN(), 0, math.NaN()},
		{row{TP: 0, FP: 2, FN: 3}, 0, 0, 0},
		{row{}, math.NaN(), math.NaN(), math.NaN()},
	}
	same := func(a, b float64) bool { return (math.IsNaN(a) && math.IsNaN(b)) || math.Abs(a-b) < 1e-9 }
	for _, tt := range tests {
		if !same(tt.r.precision(), tt.p) || !same(tt.r.recall(), tt.rec) || !same(tt.r.f1(), tt.f1) {
			t.Errorf("%+v: got %v %v %v", tt.r, tt.r.precision(), tt.r.recall(), tt.r.f1())
		}
	}
}
