package main

import (
	"math"

	"github.com/sluice-gw/sluice/pkg/injection"
	"github.com/sluice-gw/sluice/pkg/injection/internal/ngram"
)

// vec is one window's sparse feature vector over local feature ids.
type vec struct {
	idx []int32
	val []float64
}

// example is one featurised sample.
type example struct {
	text    string
	y       float64
	weight  float64 // of the example's log loss
	id      int     // position in its data set
	long    bool    // at least ngram.LongGrams grams: the calibration's long-text scale applies
	windows []vec
	signals []bool // by position in injection.SignalNames()
}

// featurizer turns samples into examples, numbering the buckets it meets
// in order so training works on a dense table of the buckets in use.
type featurizer struct {
	local   map[uint32]int32
	buckets []uint32 // local id -> bucket
	names   map[string]int
	// frozen stops numbering new buckets: texts scored after the fit
	// contribute to a window's gram count but have no weight for a
	// bucket the fit never met.
	frozen bool
}

func newFeaturizer() *featurizer {
	f := &featurizer{local: map[uint32]int32{}, names: map[string]int{}}
	for i, n := range injection.SignalNames() {
		f.names[n] = i
	}
	return f
}

func (f *featurizer) example(s injection.Sample, weight float64) example {
	grams, sigs := injection.Features(nil, []byte(s.Text))
	ex := example{text: s.Text, weight: weight, long: len(grams) >= ngram.LongGrams, signals: make([]bool, len(f.names))}
	if s.Label {
		ex.y = 1
	}
	for _, n := range sigs {
		ex.signals[f.names[n]] = true
	}
	chunks := 1
	if len(grams) > 0 {
		chunks = grams[len(grams)-1].Chunk + 1
	}
	for w := range ngram.Windows(chunks) {
		counts := map[int32]float64{}
		var order []int32
		total := 0
		for _, g := range grams {
			if g.Chunk != w && g.Chunk != w+1 {
				continue
			}
			total++
			id, ok := f.local[g.Bucket]
			if !ok && f.frozen {
				continue
			}
			if !ok {
				id = int32(len(f.buckets)) //nolint:gosec // at most ngram.Buckets
				f.local[g.Bucket] = id
				f.buckets = append(f.buckets, g.Bucket)
			}
			if counts[id] == 0 {
				order = append(order, id)
			}
			counts[id]++
		}
		v := vec{}
		norm := ngram.Scale(total)
		for _, id := range order {
			v.idx = append(v.idx, id)
			v.val = append(v.val, counts[id]*norm)
		}
		ex.windows = append(ex.windows, v)
	}
	return ex
}

// linear is a fitted n-gram model over local feature ids.
type linear struct {
	w []float64
	b float64
}

// logit is the model's logit for ex and the window that gave it.
func (m *linear) logit(ex *example) (float64, int) {
	best, arg := math.Inf(-1), 0
	for i := range ex.windows {
		v := &ex.windows[i]
		z := 0.0
		for k, id := range v.idx {
			z += m.w[id] * v.val[k]
		}
		if z > best {
			best, arg = z, i
		}
	}
	return m.b + best, arg
}

// fitOptions are the optimiser's settings.
type fitOptions struct {
	lambda float64 // L2 penalty on the weights (not the bias)
	iters  int
	rate   float64
}

// fit minimises the weighted mean log loss plus lambda/2 |w|^2 over the examples
// with full-batch Adam: deterministic, and fast on a few hundred
// examples. Through the max over windows the gradient follows the
// window that scored highest.
func fit(exs []*example, features int, o fitOptions) linear {
	m := linear{w: make([]float64, features)}
	grad := make([]float64, features)
	m1, m2 := make([]float64, features), make([]float64, features)
	var mb, vb float64
	const beta1, beta2, eps = 0.9, 0.999, 1e-8
	n := 0.0
	for _, ex := range exs {
		n += ex.weight
	}
	for t := 1; t <= o.iters; t++ {
		for i, w := range m.w {
			grad[i] = o.lambda * w
		}
		gb := 0.0
		for _, ex := range exs {
			z, arg := m.logit(ex)
			g := ex.weight * (sigmoid(z) - ex.y) / n
			gb += g
			v := &ex.windows[arg]
			for k, id := range v.idx {
				grad[id] += g * v.val[k]
			}
		}
		c1 := 1 - math.Pow(beta1, float64(t))
		c2 := 1 - math.Pow(beta2, float64(t))
		for i, g := range grad {
			if g == 0 && m1[i] == 0 {
				continue
			}
			m1[i] = beta1*m1[i] + (1-beta1)*g
			m2[i] = beta2*m2[i] + (1-beta2)*g*g
			m.w[i] -= o.rate * (m1[i] / c1) / (math.Sqrt(m2[i]/c2) + eps)
		}
		mb = beta1*mb + (1-beta1)*gb
		vb = beta2*vb + (1-beta2)*gb*gb
		m.b -= o.rate * (mb / c1) / (math.Sqrt(vb/c2) + eps)
	}
	return m
}

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }
