package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/sluice-gw/sluice/pkg/injection"
	"github.com/sluice-gw/sluice/pkg/pii"
)

type options struct {
	piiCorpus     string
	piiChallenge  string
	cv            string
	injectionTest string
	misses        bool
}

// evaluate builds every row of the report. A corpus that is not there is
// a note, not an error, so the report covers whatever is committed; a
// corpus that is there but unreadable is an error.
func (o options) evaluate(out io.Writer) ([]row, []string, error) {
	var rows []row
	var notes []string
	pr, err := o.pii(out)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		notes = append(notes, fmt.Sprintf("no PII corpus at %s", o.piiCorpus))
	case err != nil:
		return nil, nil, err
	default:
		rows = append(rows, pr...)
	}
	ch, err := o.piiFile(out, o.piiChallenge, "PII challenge set")
	switch {
	case errors.Is(err, fs.ErrNotExist):
		notes = append(notes, fmt.Sprintf("no PII challenge set at %s", o.piiChallenge))
	case err != nil:
		return nil, nil, err
	default:
		rows = append(rows, ch...)
	}
	cv, err := o.crossValidated()
	switch {
	case errors.Is(err, fs.ErrNotExist):
		notes = append(notes, fmt.Sprintf("no cross-validation report at %s", o.cv))
	case err != nil:
		return nil, nil, err
	default:
		rows = append(rows, cv...)
		notes = append(notes, cvNote(o.cv))
	}
	test, err := o.testSplit()
	switch {
	case errors.Is(err, fs.ErrNotExist):
		notes = append(notes, fmt.Sprintf("no prompt-injection test split at %s", o.injectionTest))
	case err != nil:
		return nil, nil, err
	default:
		rows = append(rows, test)
	}
	return rows, notes, nil
}

// pii scores the default scanner (every built-in type) on the corpus,
// by exact span match.
func (o options) pii(out io.Writer) ([]row, error) {
	return o.piiFile(out, o.piiCorpus, "PII")
}

// piiFile scores the default scanner on one corpus file; name heads its
// row group, so the synthetic corpus and the hand-written challenge set,
// which measure different things, are never summed together.
func (o options) piiFile(out io.Writer, path, name string) ([]row, error) {
	f, err := os.Open(filepath.Clean(path))
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }()
	corpus, err := pii.ReadCorpus(f)
	if err != nil {
		return nil, err
	}
	s, err := pii.New(pii.Config{})
	if err != nil {
		return nil, err
	}
	rep := pii.Evaluate(s, corpus)
	section := fmt.Sprintf("%s (%d texts)", name, len(corpus))
	types := make([]string, 0, len(rep.Types))
	for t := range rep.Types {
		types = append(types, t)
	}
	slices.Sort(types)
	rows := make([]row, 0, len(types)+1)
	for _, t := range types {
		c := rep.Types[t]
		rows = append(rows, row{Section: section, Name: t, TP: c.TP, FP: c.FP, FN: c.FN, Support: c.TP + c.FN})
	}
	rows = append(rows, total(section, rows))
	if o.misses {
		for _, m := range rep.Misses {
			fmt.Fprintf(out, "%s example %d %s [%d,%d): %q\n", m.Kind, m.Example, m.Entity.Type, m.Entity.Start, m.Entity.End, m.Text)
		}
	}
	return rows, nil
}

// cvReport is the part of the injection training's cv.json read here.
type cvReport struct {
	Samples int `json:"samples"`
	Folds   int `json:"folds"`
	Seed    int `json:"seed"`
	CV      struct {
		Samples   int       `json:"samples"`
		Threshold float64   `json:"threshold"`
		Combined  cvMetrics `json:"combined"`
	} `json:"cv"`
	Holdout struct {
		Samples   int       `json:"samples"`
		Threshold float64   `json:"threshold"`
		Combined  cvMetrics `json:"combined"`
	} `json:"holdout"`
}

type cvMetrics struct {
	TP int `json:"tp"`
	FP int `json:"fp"`
	FN int `json:"fn"`
}

func (o options) crossValidated() ([]row, error) {
	raw, err := os.ReadFile(filepath.Clean(o.cv))
	if err != nil {
		return nil, err
	}
	var r cvReport
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", o.cv, err)
	}
	cv, ho := r.CV.Combined, r.Holdout.Combined
	return []row{
		{Section: fmt.Sprintf("injection %d-fold CV (%d prompts)", r.Folds, r.CV.Samples), Name: "injection",
			TP: cv.TP, FP: cv.FP, FN: cv.FN, Support: cv.TP + cv.FN},
		{Section: fmt.Sprintf("injection held-out 20%% (%d prompts)", r.Holdout.Samples), Name: "injection",
			TP: ho.TP, FP: ho.FP, FN: ho.FN, Support: ho.TP + ho.FN},
	}, nil
}

func cvNote(path string) string {
	return fmt.Sprintf("Injection CV and held-out rows are recorded by the model's training in %s (regenerate with go generate ./pkg/injection).", path)
}

// testSplit scores the embedded detector, at its default threshold, on
// prompts it was never trained on.
func (o options) testSplit() (row, error) {
	if _, err := os.Stat(o.injectionTest); err != nil {
		return row{}, err
	}
	samples, err := injection.LoadSamples(o.injectionTest)
	if err != nil {
		return row{}, err
	}
	m := injection.Evaluate(injection.New(), samples, injection.DefaultThreshold)
	return row{Section: fmt.Sprintf("injection test split (%d prompts)", len(samples)), Name: "injection",
		TP: m.TP, FP: m.FP, FN: m.FN, Support: m.TP + m.FN}, nil
}
