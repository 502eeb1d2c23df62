package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestCommittedCorpusIsCurrent regenerates the corpus and compares it with
// the committed file, so a change to the generator without `go generate`
// fails here.
func TestCommittedCorpusIsCurrent(t *testing.T) {
	out := filepath.Join(t.TempDir(), "eval.jsonl")
	if err := write(out, 3000, 20261122); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("../../testdata/eval.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("testdata/eval.jsonl is stale: run `go generate ./pkg/pii`")
	}
}
