package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"

	"github.com/sluice-gw/sluice/pkg/injection"
)

var updateScan = flag.Bool("update-scan", false, "rewrite testdata/scan/*.golden from sluice scan's output")

func TestScan(t *testing.T) {
	input, err := os.ReadFile("testdata/scan/input.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		args   []string
		stdin  string
		rc     int
		golden string // file under testdata/scan; "" compares with stdout
		stdout string
		stderr string
		// threshold is the verdict's cut-off, checked on every result
		// line; the scores themselves belong to pkg/injection's tests.
		threshold float64
	}{
		{name: "built-in detectors", stdin: string(input), golden: "default.golden", threshold: injection.DefaultThreshold},
		{name: "config detectors and threshold", args: []string{"--config", "testdata/scan/sluice.yaml"},
			stdin: string(input), golden: "config.golden", threshold: 0.9},
		{name: "chosen detectors, no injection scoring", args: []string{"--config", "testdata/scan/detectors.yaml"},
			stdin:  "{\"text\":\"a@b.io from 10.0.0.1\"}\n",
			stdout: "{\"findings\":[{\"type\":\"EMAIL_ADDRESS\",\"start\":0,\"end\":6,\"score\":0.9}]}\n"},
		{name: "empty input", stdin: "", stdout: ""},
		{name: "only bad lines", stdin: "{\n\"text\"\n", stdout: "{\"error\":\"invalid JSON: unexpected end of JSON input\"}\n" +
			"{\"error\":\"want a JSON object such as {\\\"text\\\": \\\"...\\\"}\"}\n"},
		{name: "unknown flag", args: []string{"--nope"}, rc: 2, stderr: "flag provided but not defined"},
		{name: "stray argument", args: []string{"file.jsonl"}, rc: 2, stderr: "usage: sluice scan"},
		{name: "missing config", args: []string{"--config", "testdata/scan/absent.yaml"}, rc: 1, stderr: "reading config"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			rc := runScanIO(context.Background(), tt.args, strings.NewReader(tt.stdin), &stdout, &stderr)
			if rc != tt.rc {
				t.Fatalf("rc = %d, want %d; stderr: %s", rc, tt.rc, stderr.String())
			}
			if !strings.Contains(stderr.String(), tt.stderr) || (tt.stderr == "" && stderr.Len() > 0) {
				t.Errorf("stderr = %q, want %q", stderr.String(), tt.stderr)
			}
			want, got := tt.stdout, stdout.String()
			if tt.golden != "" {
				got = withoutInjection(t, got, tt.threshold)
				path := filepath.Join("testdata/scan", tt.golden)
				if *updateScan {
					if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				b, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				want = string(b)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("stdout (-want +got; go test ./cmd/sluice -run TestScan -update-scan rewrites the golden files):\n%s", diff)
			}
		})
	}
}

// withoutInjection checks each result's injection verdict against
// threshold and removes the assessment, so the golden files hold what the
// command decides (order, findings, offsets, errors) and not the model's
// current weights.
func withoutInjection(t *testing.T, out string, threshold float64) string {
	t.Helper()
	var b strings.Builder
	for _, line := range strings.SplitAfter(out, "\n") {
		if line == "" {
			continue
		}
		if inj := gjson.Get(line, "injection"); inj.Exists() {
			score, verdict := inj.Get("score").Float(), inj.Get("verdict").String()
			if want := map[bool]string{true: "injection", false: "benign"}[score >= threshold]; verdict != want || score < 0 || score > 1 {
				t.Errorf("score %v at threshold %v has verdict %q", score, threshold, verdict)
			}
			var err error
			if line, err = sjson.Delete(line, "injection"); err != nil {
				t.Fatal(err)
			}
		} else if !gjson.Get(line, "error").Exists() {
			t.Errorf("result without an injection assessment: %s", line)
		}
		b.WriteString(line)
	}
	return b.String()
}
