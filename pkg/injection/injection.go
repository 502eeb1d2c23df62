// Package injection scores text for prompt injection and jailbreak
// attempts. A Detector combines two views of the text: heuristics that
// recognise known attack forms (instruction overrides in six languages,
// role-play jailbreaks, system-prompt extraction, fake chat-template
// delimiters, base64 and hex payloads, invisible and tag characters) and a
// logistic regression over hashed character n-grams trained on labelled
// prompts. The model's logit and the signals that fired are combined by a
// calibration fitted on cross-validated predictions, so Score is a
// probability and DefaultThreshold is the cut that cross-validation
// justified. README.md has the figures; `go generate` retrains.
package injection

//go:generate go run ./augment -out testdata
//go:generate go run ./train -data ../../../shared/data/prompt-injections/train.jsonl

import (
	_ "embed"
	"fmt"
	"math"
	"sync"

	"github.com/sluice-gw/sluice/pkg/injection/internal/model"
	"github.com/sluice-gw/sluice/pkg/injection/internal/ngram"
)

// Result is one text's assessment.
type Result struct {
	Score   float64  // in [0, 1]
	Signals []string // heuristics that fired: override_phrase, roleplay_jailbreak, delimiter, base64_payload, hex_payload, zero_width, unicode_tags, ...
}

// Detector scores text. It is immutable and safe for concurrent use.
type Detector struct {
	weights []float32
	bias    float64
	cal     combiner
}

//go:embed weights.bin
var weightsFile []byte

var embedded = sync.OnceValue(func() *Detector {
	m, err := model.Unmarshal(weightsFile, ngram.Bits)
	if err != nil {
		// The file is committed beside the code and checked by its tests.
		panic(fmt.Sprintf("injection: embedded weights: %v", err))
	}
	return &Detector{weights: m.Weights, bias: m.Bias, cal: calibration}
})

// New returns the detector with the embedded, committed model weights.
// Every call returns the same detector; the weights load on first use.
func New() *Detector { return embedded() }

// Score rates text: Score is the calibrated probability that text is a
// prompt injection, and Signals name the heuristics that fired. Any bytes
// are accepted; the work is linear in len(text).
func (d *Detector) Score(text []byte) Result {
	s := getScratch()
	defer putScratch(s)
	z, found := s.analyze(d, text)
	return Result{Score: sigmoid(d.cal.combine(z, isLong(s.sums), found)), Signals: found.names()}
}

// Features returns what the calibrated score is computed from: the
// hashed n-grams of text's normalised, lower-cased form and the names of
// the heuristics that fired. The training program fits on exactly these.
func Features(dst []ngram.Gram, text []byte) ([]ngram.Gram, []string) {
	s := getScratch()
	defer putScratch(s)
	s.signals = 0
	s.heuristics(text, 0, &s.signals)
	return ngram.Grams(dst, s.lower), s.signals.names()
}

// combiner is the calibration: a logistic model over the n-gram model's
// logit and the signals.
type combiner struct {
	scale, scaleLong, bias float64
	signals                [numSignals]float64
}

func (c *combiner) combine(z float64, long bool, found signals) float64 {
	scale := c.scale
	if long {
		scale = c.scaleLong
	}
	logit := c.bias + scale*z
	for sig := range numSignals {
		if found.has(sig) {
			logit += c.signals[sig]
		}
	}
	return logit
}

// isLong reports whether a text of these chunk sums has at least
// ngram.LongGrams grams.
func isLong(sums []ngram.Sum) bool {
	n := 0
	for _, s := range sums {
		n += s.N
	}
	return n >= ngram.LongGrams
}

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

// logit is the n-gram model's logit for lower-cased normalised text: the
// highest over windows of two adjacent chunks, so an injection inside a
// long document scores as it would on its own.
func (d *Detector) logit(sums []ngram.Sum) float64 {
	return d.bias + ngram.MaxWindow(sums)
}
