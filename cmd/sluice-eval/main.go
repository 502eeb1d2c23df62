// Command sluice-eval measures Sluice's request-side detectors on the
// committed evaluation corpora and prints precision, recall and F1 as a
// table: per entity type for the PII and secret scanner, and for prompt
// injection (the cross-validated figures the model's training recorded,
// and the embedded detector on a held-out test split when one is
// available). `make eval` runs it; --markdown prints the table for
// BENCHMARKS.md.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sluice-eval", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.StringVar(&o.piiCorpus, "pii", "pkg/pii/testdata/eval.jsonl", "PII corpus: JSON Lines {text, entities: [{type, start, end}]}, offsets in code points")
	fs.StringVar(&o.piiChallenge, "pii-challenge", "pkg/pii/testdata/challenge.jsonl",
		"hand-written PII challenge set, same format as --pii; scored as its own row group")
	fs.StringVar(&o.cv, "injection-cv", "pkg/injection/testdata/cv.json", "cross-validation report written by the injection model's training")
	fs.StringVar(&o.injectionTest, "injection-test", "../shared/data/prompt-injections/test.jsonl",
		"labelled prompts never trained on: JSON Lines {text, label}; skipped when absent")
	markdown := fs.Bool("markdown", false, "print a Markdown table, for BENCHMARKS.md")
	fs.BoolVar(&o.misses, "misses", false, "also list the PII scanner's false positives and negatives")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintln(stderr, "sluice-eval: no arguments expected, only flags")
		return 2
	}
	rows, notes, err := o.evaluate(stdout)
	if err != nil {
		fmt.Fprintln(stderr, "sluice-eval:", err)
		return 1
	}
	write := writeText
	if *markdown {
		write = writeMarkdown
	}
	if err := write(stdout, rows); err != nil {
		fmt.Fprintln(stderr, "sluice-eval:", err)
		return 1
	}
	if len(notes) > 0 {
		fmt.Fprintln(stdout)
	}
	for _, n := range notes {
		fmt.Fprintln(stdout, n)
	}
	return 0
}
