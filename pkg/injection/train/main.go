// Command train fits Sluice's prompt-injection model and writes the
// committed artefacts of package injection: weights.bin (the n-gram
// weights), calibration_gen.go (how the model and the heuristics combine,
// and DefaultThreshold) and testdata/cv.json (the cross-validated figures
// README.md quotes). It runs from the package directory as `go generate`.
//
// Everything is seeded and single-valued: the same data and seed give
// byte-identical files. With -check it refits only the final model from
// the recorded settings and fails if the committed files differ.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

// defaultAugmentWeight is the loss weight of one augmentation prompt. The
// augmentation is as large as the training set but narrower (templates
// over small pools), so a full weight would let its templates outvote the
// real prompts.
const defaultAugmentWeight = 0.5

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "train:", err)
		os.Exit(1)
	}
}

func run(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("train", flag.ContinueOnError)
	data := fs.String("data", "../../../shared/data/prompt-injections/train.jsonl", "labelled prompts, JSON Lines")
	dir := fs.String("out", ".", "package directory to write weights.bin, calibration_gen.go and testdata/cv.json to")
	seed := fs.Uint64("seed", 1, "seed for the fold assignment")
	folds := fs.Int("folds", 5, "cross-validation folds")
	augment := fs.String("augment", "testdata/augment.jsonl", "synthetic prompts added to every training fold, never evaluated on; empty for none")
	augWeight := fs.Float64("augment-weight", defaultAugmentWeight, "weight of an augmentation prompt's loss relative to a training prompt's")
	grid := fs.String("lambdas", "", "comma-separated L2 penalties to search instead of the default grid")
	evals := fs.String("eval", "testdata/heldout.jsonl,testdata/augment_heldout.jsonl,testdata/long_heldout.jsonl", "comma-separated data sets to score the shipped detector on")
	errors := fs.Bool("errors", false, "print the cross-validation's misclassified samples")
	check := fs.Bool("check", false, "refit the final model from testdata/cv.json and compare with the committed files instead of writing")
	if err := fs.Parse(args); err != nil {
		return err
	}
	start := time.Now()
	var evalPaths []string
	if *evals != "" {
		evalPaths = strings.Split(*evals, ",")
	}
	t, err := load(*data, *augment, *augWeight, evalPaths, *seed, *folds)
	if err != nil {
		return err
	}
	t.errors = *errors
	if *grid != "" {
		if t.lambdas, err = parseFloats(*grid); err != nil {
			return fmt.Errorf("-lambdas: %w", err)
		}
	}
	if *check {
		return t.check(*dir, out)
	}
	rep, err := t.search(out)
	if err != nil {
		return err
	}
	files := t.final(rep)
	for _, e := range files.evals {
		fmt.Fprintf(out, "%s (%d): %s, false positives %.3f at %.2f\n", e.File, e.Samples, show(e.Combined), e.FPR, rep.Threshold)
	}
	if err := files.write(*dir); err != nil {
		return err
	}
	fmt.Fprintf(out, "wrote %s in %s\n", *dir, time.Since(start).Round(time.Millisecond))
	return nil
}

func parseFloats(list string) ([]float64, error) {
	var out []float64
	for _, f := range strings.Split(list, ",") {
		x, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, nil
}
