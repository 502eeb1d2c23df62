package injection

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
)

// Sample is one labelled text.
type Sample struct {
	Text  string
	Label bool // true for an injection
}

// Metrics are a detector's results on labelled samples at one threshold.
type Metrics struct {
	Precision, Recall, F1 float64
	TP, FP, FN, TN        int
}

// NewMetrics computes precision, recall and F1 from a confusion matrix.
// A ratio with a zero denominator is 0.
func NewMetrics(tp, fp, fn, tn int) Metrics {
	m := Metrics{TP: tp, FP: fp, FN: fn, TN: tn}
	if tp+fp > 0 {
		m.Precision = float64(tp) / float64(tp+fp)
	}
	if tp+fn > 0 {
		m.Recall = float64(tp) / float64(tp+fn)
	}
	if m.Precision+m.Recall > 0 {
		m.F1 = 2 * m.Precision * m.Recall / (m.Precision + m.Recall)
	}
	return m
}

// Evaluate scores every sample and counts a verdict of injection when
// the score is at least threshold.
func Evaluate(d *Detector, samples []Sample, threshold float64) Metrics {
	var tp, fp, fn, tn int
	for _, s := range samples {
		hit := d.Score([]byte(s.Text)).Score >= threshold
		switch {
		case hit && s.Label:
			tp++
		case hit:
			fp++
		case s.Label:
			fn++
		default:
			tn++
		}
	}
	return NewMetrics(tp, fp, fn, tn)
}

// ErrSamples is wrapped by every error about the content of a samples file.
var ErrSamples = errors.New("injection: bad sample")

// ReadSamples reads JSON Lines of {"text": "...", "label": 1}: label is
// 1 or true for an injection, 0 or false for a benign text. Blank lines
// are skipped; other fields are ignored.
func ReadSamples(r io.Reader) ([]Sample, error) {
	var out []Sample
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 64<<20)
	for line := 1; sc.Scan(); line++ {
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		s, err := parseSample(b)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		out = append(out, s)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("injection: reading samples: %w", err)
	}
	return out, nil
}

func parseSample(b []byte) (Sample, error) {
	var raw struct {
		Text  *string         `json:"text"`
		Label json.RawMessage `json:"label"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return Sample{}, fmt.Errorf("%w: %w", ErrSamples, err)
	}
	if raw.Text == nil {
		return Sample{}, fmt.Errorf("%w: no text", ErrSamples)
	}
	s := Sample{Text: *raw.Text}
	switch string(raw.Label) {
	case "1", "true":
		s.Label = true
	case "0", "false":
	default:
		return Sample{}, fmt.Errorf("%w: label %q: want 0, 1, true or false", ErrSamples, raw.Label)
	}
	return s, nil
}

// LoadSamples reads a JSON Lines samples file; see ReadSamples.
func LoadSamples(path string) ([]Sample, error) {
	f, err := os.Open(path) // #nosec G304 -- the path is the caller's choice of data set
	if err != nil {
		return nil, fmt.Errorf("injection: %w", err)
	}
	defer f.Close()
	s, err := ReadSamples(f)
	if err != nil {
		return nil, fmt.Errorf("injection: %s: %w", path, err)
	}
	return s, nil
}
