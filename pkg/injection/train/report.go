package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"go/format"
	"io"
	"math"
	"os"
	"path/filepath"

	"github.com/sluice-gw/sluice/pkg/injection"
	"github.com/sluice-gw/sluice/pkg/injection/internal/model"
	"github.com/sluice-gw/sluice/pkg/injection/internal/ngram"
)

// options are the optimiser settings of every fit; lambda is searched.
var options = fitOptions{iters: 300, rate: 0.05}

// lambdas is the L2 search grid.
var lambdas = []float64{1e-4, 3e-4}

// load featurises the training set and the augmentation (weighted by
// augWeight; no augmentation when augPath is empty), then the evaluation
// sets against the buckets those two use.
func load(path, augPath string, augWeight float64, evalPaths []string, seed uint64, folds int) (*trainer, error) {
	f := newFeaturizer()
	t := &trainer{names: injection.SignalNames(), folds: folds, seed: seed, augWeight: augWeight}
	var err error
	if t.exs, err = featurise(f, path, 1); err != nil {
		return nil, err
	}
	if augPath != "" {
		if t.aug, err = featurise(f, augPath, augWeight); err != nil {
			return nil, err
		}
		t.augPath = augPath
	}
	t.features = len(f.buckets)
	t.buckets = f.buckets
	f.frozen = true
	for _, p := range evalPaths {
		exs, err := featurise(f, p, 1)
		if err != nil {
			return nil, err
		}
		t.evals = append(t.evals, evalSet{path: p, exs: exs})
	}
	return t, nil
}

func featurise(f *featurizer, path string, weight float64) ([]*example, error) {
	samples, err := injection.LoadSamples(path)
	if err != nil {
		return nil, err
	}
	out := make([]*example, len(samples))
	for i, s := range samples {
		ex := f.example(s, weight)
		ex.id = i
		out[i] = &ex
	}
	return out, nil
}

// metrics is injection.Metrics as recorded in cv.json.
type metrics struct {
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
	TP        int     `json:"tp"`
	FP        int     `json:"fp"`
	FN        int     `json:"fn"`
	TN        int     `json:"tn"`
}

func record(m injection.Metrics) metrics {
	return metrics{round(m.Precision), round(m.Recall), round(m.F1), m.TP, m.FP, m.FN, m.TN}
}

func round(x float64) float64 { return math.Round(x*1e4) / 1e4 }

type evaluation struct {
	Samples    int     `json:"samples"`
	Threshold  float64 `json:"threshold"`
	Model      metrics `json:"model"`      // the n-gram model alone, at probability 0.5
	Heuristics metrics `json:"heuristics"` // injection when any signal fired
	Combined   metrics `json:"combined"`   // the calibrated detector at the threshold
}

type thresholdRow struct {
	Threshold float64 `json:"threshold"`
	metrics
}

type searchRow struct {
	Lambda     float64 `json:"lambda"`
	ModelF1    float64 `json:"model_f1"`
	CombinedF1 float64 `json:"combined_f1"`
	Threshold  float64 `json:"threshold"`
}

// report is testdata/cv.json.
type report struct {
	Samples    int            `json:"samples"`
	Injections int            `json:"injections"`
	Seed       uint64         `json:"seed"`
	Folds      int            `json:"folds"`
	Search     []searchRow    `json:"lambda_search"` // k-fold CV on the development 80%
	Lambda     float64        `json:"lambda"`
	Holdout    evaluation     `json:"holdout"` // fitted on the development 80%, scored on the held-out 20%
	CV         evaluation     `json:"cv"`      // k-fold CV on all samples
	Thresholds []thresholdRow `json:"thresholds"`
	Threshold  float64        `json:"threshold"`
	Augment    augmentation   `json:"augment"`
	Evals      []evalRecord   `json:"evaluations"` // the shipped detector on data no choice was made on
	Weights    string         `json:"weights_sha256"`
}

// augmentation records the training-only synthetic prompts.
type augmentation struct {
	File       string  `json:"file"`
	Samples    int     `json:"samples"`
	Injections int     `json:"injections"`
	Weight     float64 `json:"weight"`
}

// evalRecord is the shipped detector on one evaluation set, at the
// threshold; FPR is the share of benign prompts flagged.
type evalRecord struct {
	File     string  `json:"file"`
	Samples  int     `json:"samples"`
	Combined metrics `json:"combined"`
	FPR      float64 `json:"false_positive_rate"`
}

func (t *trainer) all() []int {
	idx := make([]int, len(t.exs))
	for i := range idx {
		idx[i] = i
	}
	return idx
}

func evaluate(preds []prediction, threshold float64) evaluation {
	return evaluation{
		Samples:    len(preds),
		Threshold:  threshold,
		Model:      record(metricsAt(preds, byModel, 0.5)),
		Heuristics: record(metricsAt(preds, byHeuristic, 0.5)),
		Combined:   record(metricsAt(preds, byCombined, threshold)),
	}
}

// search picks lambda by cross-validation on a development split, checks
// the choice on the held-out rest, then cross-validates on everything for
// the reported figures and the threshold.
func (t *trainer) search(out io.Writer) (report, error) {
	rep := report{Samples: len(t.exs), Seed: t.seed, Folds: t.folds}
	for _, ex := range t.exs {
		if ex.y == 1 {
			rep.Injections++
		}
	}
	parts := t.split(t.all(), 5, 1)
	holdout := parts[0]
	dev := without(t.all(), holdout)
	grid := lambdas
	if t.lambdas != nil {
		grid = t.lambdas
	}
	for _, l := range grid {
		o := options
		o.lambda = l
		preds := t.crossValidate(dev, o, 10)
		th := bestThreshold(preds)
		row := searchRow{Lambda: l, ModelF1: round(metricsAt(preds, byModel, 0.5).F1),
			CombinedF1: round(metricsAt(preds, byCombined, th).F1), Threshold: th}
		rep.Search = append(rep.Search, row)
		fmt.Fprintf(out, "lambda %-6g dev CV: model F1 %.4f, combined F1 %.4f at %.2f\n", l, row.ModelF1, row.CombinedF1, th)
	}
	pick := pickLambda(rep.Search)
	rep.Lambda, rep.Holdout.Threshold = pick.Lambda, pick.Threshold
	o := options
	o.lambda = rep.Lambda
	d := t.fitDetector(dev, o, 2)
	var hp []prediction
	for _, i := range holdout {
		ex := t.exs[i]
		m, c := d.score(ex)
		hp = append(hp, prediction{ex.text, m, c, hasSignal(ex), ex.y == 1})
	}
	rep.Holdout = evaluate(hp, rep.Holdout.Threshold)
	preds := t.crossValidate(t.all(), o, 3)
	rep.Threshold = bestThreshold(preds)
	rep.CV = evaluate(preds, rep.Threshold)
	if t.errors {
		for _, p := range preds {
			if (p.combined >= rep.Threshold) != p.label {
				fmt.Fprintf(out, "miss: label %v, model %.3f, combined %.3f: %.200q\n", p.label, p.model, p.combined, p.text)
			}
		}
	}
	for c := 10; c <= 90; c += 5 {
		th := float64(c) / 100
		rep.Thresholds = append(rep.Thresholds, thresholdRow{th, record(metricsAt(preds, byCombined, th))})
	}
	fmt.Fprintf(out, "holdout (%d): model %s | heuristics %s | combined %s at %.2f\n",
		len(hp), show(rep.Holdout.Model), show(rep.Holdout.Heuristics), show(rep.Holdout.Combined), rep.Holdout.Threshold)
	fmt.Fprintf(out, "%d-fold CV (%d): model %s | heuristics %s | combined %s at %.2f\n",
		t.folds, len(preds), show(rep.CV.Model), show(rep.CV.Heuristics), show(rep.CV.Combined), rep.Threshold)
	return rep, nil
}

// lambdaSlack is how much cross-validated F1 a stronger penalty may cost
// and still be preferred: differences this small are fold noise, and the
// stronger penalty generalises better to text unlike the training set.
const lambdaSlack = 0.01

// pickLambda is the largest lambda whose combined F1 is within
// lambdaSlack of the best.
func pickLambda(rows []searchRow) searchRow {
	best := 0.0
	for _, r := range rows {
		best = max(best, r.CombinedF1)
	}
	var pick searchRow
	for _, r := range rows {
		if r.CombinedF1 >= best-lambdaSlack && r.Lambda > pick.Lambda {
			pick = r
		}
	}
	return pick
}

func hasSignal(ex *example) bool {
	for _, on := range ex.signals {
		if on {
			return true
		}
	}
	return false
}

func show(m metrics) string {
	return fmt.Sprintf("P %.3f R %.3f F1 %.3f", m.Precision, m.Recall, m.F1)
}

// artefacts are the generated files' contents.
type artefacts struct {
	weights, calibration, cv []byte
	evals                    []evalRecord
}

// final fits the shipped detector on every sample.
func (t *trainer) final(rep report) artefacts {
	o := options
	o.lambda = rep.Lambda
	d := t.fitDetector(t.all(), o, 4)
	w := make([]float32, ngram.Buckets)
	for id, b := range t.buckets {
		w[b] = float32(d.m.w[id])
	}
	weights := model.Marshal(model.Model{Bias: d.m.b, Weights: w})
	sum := sha256.Sum256(weights)
	rep.Weights = hex.EncodeToString(sum[:])
	rep.Augment = augmentation{File: t.augPath, Samples: len(t.aug), Weight: t.augWeight}
	for _, ex := range t.aug {
		if ex.y == 1 {
			rep.Augment.Injections++
		}
	}
	rep.Evals = nil
	for _, e := range t.evals {
		rep.Evals = append(rep.Evals, t.evaluateSet(&d, e, rep.Threshold))
	}
	cv, _ := json.MarshalIndent(rep, "", "  ") // plain structs always marshal
	return artefacts{weights: weights, calibration: t.calibrationSource(d.cal, rep.Threshold), cv: append(cv, '\n'), evals: rep.Evals}
}

// evaluateSet scores an evaluation set with the shipped detector.
func (t *trainer) evaluateSet(d *detector, e evalSet, threshold float64) evalRecord {
	var preds []prediction
	for _, ex := range e.exs {
		m, c := d.score(ex)
		preds = append(preds, prediction{ex.text, m, c, hasSignal(ex), ex.y == 1})
		if t.errors && (c >= threshold) != (ex.y == 1) {
			fmt.Fprintf(os.Stderr, "%s miss: label %v, model %.3f, combined %.3f: %.160q\n", e.path, ex.y == 1, m, c, ex.text)
		}
	}
	if t.errors {
		for c := 30; c <= 90; c += 10 {
			m := metricsAt(preds, byCombined, float64(c)/100)
			fmt.Fprintf(os.Stderr, "%s at %.1f: recall %.3f, false positives %d of %d\n", e.path, float64(c)/100, m.Recall, m.FP, m.FP+m.TN)
		}
	}
	m := metricsAt(preds, byCombined, threshold)
	r := evalRecord{File: e.path, Samples: len(preds), Combined: record(m)}
	if m.FP+m.TN > 0 {
		r.FPR = round(float64(m.FP) / float64(m.FP+m.TN))
	}
	return r
}

func (t *trainer) calibrationSource(c calibration, threshold float64) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "// Code generated by go run ./train; DO NOT EDIT.\n\npackage injection\n\n")
	fmt.Fprintf(&b, "// DefaultThreshold is the score from which a text is an injection: the\n")
	fmt.Fprintf(&b, "// threshold with the best cross-validated F1 (testdata/cv.json, README.md).\n")
	fmt.Fprintf(&b, "const DefaultThreshold = %v\n\n", threshold)
	fmt.Fprintf(&b, "// calibration combines the n-gram model's logit with the signals.\n")
	fmt.Fprintf(&b, "var calibration = combiner{\n\tscale: %v,\n\tscaleLong: %v,\n\tbias: %v,\n\tsignals: [numSignals]float64{\n", c.scale, c.scaleLong, c.bias)
	for k, n := range t.names {
		fmt.Fprintf(&b, "\t\t%v, // %s\n", c.signals[k], n)
	}
	fmt.Fprintf(&b, "\t},\n}\n\n// calibratedSignals names the weights above, in order.\nvar calibratedSignals = [...]string{\n")
	for _, n := range t.names {
		fmt.Fprintf(&b, "\t%q,\n", n)
	}
	b.WriteString("}\n")
	src, err := format.Source(b.Bytes())
	if err != nil {
		panic(err) // the template above is fixed
	}
	return src
}

func (a artefacts) write(dir string) error {
	for name, data := range map[string][]byte{
		"weights.bin":        a.weights,
		"calibration_gen.go": a.calibration,
		"testdata/cv.json":   a.cv,
	} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			return err
		}
	}
	return nil
}

// check refits the final detector with the recorded settings and compares
// it with the committed files.
func (t *trainer) check(dir string, out io.Writer) error {
	raw, err := os.ReadFile(filepath.Join(dir, "testdata/cv.json")) // #nosec G304 -- the package's own record
	if err != nil {
		return err
	}
	var rep report
	if err := json.Unmarshal(raw, &rep); err != nil {
		return fmt.Errorf("testdata/cv.json: %w", err)
	}
	rep.Weights = ""
	if rep.Augment.Weight != t.augWeight || rep.Augment.Samples != len(t.aug) {
		return fmt.Errorf("testdata/cv.json was trained with %d augmentation prompts at weight %g, not %d at %g",
			rep.Augment.Samples, rep.Augment.Weight, len(t.aug), t.augWeight)
	}
	got := t.final(rep)
	for name, data := range map[string][]byte{"weights.bin": got.weights, "calibration_gen.go": got.calibration} {
		have, err := os.ReadFile(filepath.Join(dir, name)) // #nosec G304 -- the package's own files
		if err != nil {
			return err
		}
		if !bytes.Equal(have, data) {
			return fmt.Errorf("%s differs from a refit with seed %d and lambda %g: run go generate", name, rep.Seed, rep.Lambda)
		}
	}
	fmt.Fprintln(out, "weights.bin and calibration_gen.go match a refit")
	return nil
}
