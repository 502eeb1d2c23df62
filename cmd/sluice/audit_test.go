package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluice-gw/sluice/pkg/audit"
)

// writeTrail writes a short, valid audit file.
func writeTrail(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	fs, last, skipped, err := audit.OpenFile(audit.FileOptions{Path: path, MaxBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	w, err := audit.NewWriter(audit.Options{Sinks: []audit.Sink{fs}, QueueRecords: 8, QueueBytes: 1 << 20,
		Resume: last, Skipped: skipped})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"a", "b", "c"} {
		w.Add(&audit.Record{RequestID: id, API: "chat_completions", Status: 200})
	}
	if err := w.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestAuditVerify(t *testing.T) {
	good := writeTrail(t)
	tampered := writeTrail(t)
	data, err := os.ReadFile(tampered)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tampered, bytes.Replace(data, []byte(`"status":200`), []byte(`"status":500`), 1), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"valid", []string{good}, 0, "ok: 1 files, 5 records (3 requests, 1 segments, 0 gaps with 0 dropped), seq 1..5", ""},
		{"directory", []string{filepath.Dir(good)}, 0, "ok: 1 files", ""},
		{"tampered", []string{tampered}, 1, "", "chain broken at " + tampered + ":3: seq 3: prev is not the digest"},
		{"wrong head", []string{"-head", "00", good}, 1, "", "is not the expected head 00"},
		{"no files", nil, 2, "", "name at least one file"},
		{"missing file", []string{filepath.Join(t.TempDir(), "none")}, 1, "", "no such file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := auditVerify(tc.args, &stdout, &stderr); code != tc.code {
				t.Errorf("exit code %d, want %d; stderr: %s", code, tc.code, stderr.String())
			}
			if !strings.Contains(stdout.String(), tc.stdout) || !strings.Contains(stderr.String(), tc.stderr) {
				t.Errorf("stdout %q, want %q\nstderr %q, want %q", stdout.String(), tc.stdout, stderr.String(), tc.stderr)
			}
		})
	}
}
