package main

import (
	"math"
	"math/rand/v2"
	"slices"
	"sync"

	"github.com/sluice-gw/sluice/pkg/injection"
)

// trainer holds the featurised data set.
type trainer struct {
	exs       []*example
	aug       []*example // training-only examples: in every fit, never in an evaluation fold
	augPath   string
	augWeight float64
	evals     []evalSet // scored by the shipped detector only
	lambdas   []float64 // the penalty grid, when not the default
	features  int
	names     []string
	folds     int
	seed      uint64
	buckets   []uint32 // local feature id -> bucket
	errors    bool     // print misclassified samples
}

// evalSet is a data set the shipped detector is measured on.
type evalSet struct {
	path string
	exs  []*example
}

// split deals idx into k folds, positives and negatives separately so
// every fold keeps the class balance. The order is fixed by the seed.
func (t *trainer) split(idx []int, k int, salt uint64) [][]int {
	rng := rand.New(rand.NewPCG(t.seed, salt)) //nolint:gosec // a seeded, reproducible fold assignment
	var pos, neg []int
	for _, i := range idx {
		if t.exs[i].y == 1 {
			pos = append(pos, i)
		} else {
			neg = append(neg, i)
		}
	}
	rng.Shuffle(len(pos), func(a, b int) { pos[a], pos[b] = pos[b], pos[a] })
	rng.Shuffle(len(neg), func(a, b int) { neg[a], neg[b] = neg[b], neg[a] })
	out := make([][]int, k)
	for j, i := range append(pos, neg...) {
		out[j%k] = append(out[j%k], i)
	}
	for _, f := range out {
		slices.Sort(f)
	}
	return out
}

// without returns idx minus the members of drop.
func without(idx, drop []int) []int {
	out := make([]int, 0, len(idx))
	for _, i := range idx {
		if _, found := slices.BinarySearch(drop, i); !found {
			out = append(out, i)
		}
	}
	return out
}

func (t *trainer) subset(idx []int) []*example {
	out := make([]*example, len(idx))
	for j, i := range idx {
		out[j] = t.exs[i]
	}
	return out
}

// detector is a fitted model and its calibration.
type detector struct {
	m   linear
	cal calibration
}

func (d *detector) score(ex *example) (model, combined float64) {
	z, _ := d.m.logit(ex)
	return sigmoid(z), sigmoid(d.cal.logit(z, ex.long, ex.signals))
}

// fitDetector fits the n-gram model on idx and the augmentation, and the
// calibration on out-of-fold logits over both, so the calibration sees
// the model as it behaves on text it was not trained on, long benign
// tasks included. The augmentation is dealt into inner folds of its own.
func (t *trainer) fitDetector(idx []int, o fitOptions, salt uint64) detector {
	folds := t.split(idx, t.folds, salt)
	augFolds := t.dealAugment(salt)
	z := make(map[int]float64, len(idx))
	zAug := make([]float64, len(t.aug))
	for fi, f := range folds {
		train := t.subset(without(idx, f))
		for fj, af := range augFolds {
			if fj != fi {
				train = append(train, af...)
			}
		}
		m := fit(train, t.features, o)
		for _, i := range f {
			z[i], _ = m.logit(t.exs[i])
		}
		for _, ex := range augFolds[fi] {
			zAug[ex.id], _ = m.logit(ex)
		}
	}
	var zs, ys, ws []float64
	var sigs [][]bool
	var long []bool
	add := func(z float64, ex *example) {
		zs, long, sigs, ys, ws = append(zs, z), append(long, ex.long), append(sigs, ex.signals), append(ys, ex.y), append(ws, ex.weight)
	}
	for _, i := range idx {
		add(z[i], t.exs[i])
	}
	for j, ex := range t.aug {
		add(zAug[j], ex)
	}
	return detector{m: fit(append(t.subset(idx), t.aug...), t.features, o), cal: calibrate(zs, long, sigs, ys, ws, t.names)}
}

// dealAugment deals the augmentation into t.folds seeded folds.
func (t *trainer) dealAugment(salt uint64) [][]*example {
	rng := rand.New(rand.NewPCG(t.seed, salt^0xa5a5)) //nolint:gosec // a seeded, reproducible fold assignment
	order := rng.Perm(len(t.aug))
	out := make([][]*example, t.folds)
	for j, i := range order {
		out[j%t.folds] = append(out[j%t.folds], t.aug[i])
	}
	return out
}

// prediction is one example's out-of-fold scores.
type prediction struct {
	text            string
	model, combined float64
	heuristic       bool // a signal fired
	label           bool
}

// crossValidate runs k-fold cross-validation of the whole detector over
// idx: for each fold, a detector fitted on the others (calibration
// included, by an inner cross-validation) scores the fold. Folds run in
// parallel; each is deterministic, so the result does not depend on
// scheduling.
func (t *trainer) crossValidate(idx []int, o fitOptions, salt uint64) []prediction {
	folds := t.split(idx, t.folds, salt)
	preds := make(map[int]prediction, len(idx))
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, 2)
	for fi, f := range folds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			d := t.fitDetector(without(idx, f), o, salt*100+uint64(fi)+1) //nolint:gosec // a small fold index
			for _, i := range f {
				ex := t.exs[i]
				m, c := d.score(ex)
				mu.Lock()
				preds[i] = prediction{ex.text, m, c, slices.Contains(ex.signals, true), ex.y == 1}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	out := make([]prediction, len(idx))
	for j, i := range idx {
		out[j] = preds[i]
	}
	return out
}

// metricsAt counts verdicts of score >= threshold.
func metricsAt(preds []prediction, score func(prediction) float64, threshold float64) injection.Metrics {
	var tp, fp, fn, tn int
	for _, p := range preds {
		hit := score(p) >= threshold
		switch {
		case hit && p.label:
			tp++
		case hit:
			fp++
		case p.label:
			fn++
		default:
			tn++
		}
	}
	return injection.NewMetrics(tp, fp, fn, tn)
}

func byModel(p prediction) float64    { return p.model }
func byCombined(p prediction) float64 { return p.combined }
func byHeuristic(p prediction) float64 {
	if p.heuristic {
		return 1
	}
	return 0
}

// bestThreshold is the threshold in [0.05, 0.95], on a 0.01 grid, with
// the highest F1 averaged over the thresholds within 0.1 of it; of
// equals, the one nearest 0.5. The F1 curve of a few hundred samples is
// flat and jagged near its top, and the average keeps the choice from
// landing on a spike that a new data set would not repeat.
func bestThreshold(preds []prediction) float64 {
	f1 := make([]float64, 101)
	for c := range f1 {
		f1[c] = metricsAt(preds, byCombined, float64(c)/100).F1
	}
	best, bestF1 := 0.5, -1.0
	for c := 5; c <= 95; c++ {
		sum, n := 0.0, 0
		for d := max(0, c-10); d <= min(100, c+10); d++ {
			sum += f1[d]
			n++
		}
		t, avg := float64(c)/100, sum/float64(n)
		if avg > bestF1+1e-12 || (math.Abs(avg-bestF1) <= 1e-12 && math.Abs(t-0.5) < math.Abs(best-0.5)) {
			best, bestF1 = t, avg
		}
	}
	return best
}
