package pii

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"slices"
)

// Example is one labelled text of an evaluation corpus.
type Example struct {
	Text     string   `json:"text"`
	Entities []Entity `json:"entities"`
}

// Entity is a labelled span, in code points (not bytes) of Example.Text,
// so corpora from other tools line up whatever the encoding.
type Entity struct {
	Type  string `json:"type"`
	Start int    `json:"start"`
	End   int    `json:"end"`
}

// ReadCorpus reads JSON Lines of Examples.
func ReadCorpus(r io.Reader) ([]Example, error) {
	var out []Example
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for line := 1; sc.Scan(); line++ {
		if len(sc.Bytes()) == 0 {
			continue
		}
		var ex Example
		if err := json.Unmarshal(sc.Bytes(), &ex); err != nil {
			return nil, fmt.Errorf("pii: corpus line %d: %w", line, err)
		}
		out = append(out, ex)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("pii: reading corpus: %w", err)
	}
	return out, nil
}

// Counts are the outcomes for one entity type.
type Counts struct {
	TP, FP, FN int
}

// Precision is TP/(TP+FP), 1 when nothing was predicted.
func (c Counts) Precision() float64 { return ratio(c.TP, c.TP+c.FP) }

// Recall is TP/(TP+FN), 1 when nothing was labelled.
func (c Counts) Recall() float64 { return ratio(c.TP, c.TP+c.FN) }

// F1 is the harmonic mean of precision and recall.
func (c Counts) F1() float64 {
	p, r := c.Precision(), c.Recall()
	if p+r == 0 {
		return 0
	}
	return 2 * p * r / (p + r)
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 1
	}
	return float64(a) / float64(b)
}

// Miss is one disagreement with the labels, for debugging a detector.
type Miss struct {
	Example int    // index into the corpus
	Kind    string // "fp" or "fn"
	Entity  Entity
	Text    string // the span's text
}

// Report is the result of Evaluate.
type Report struct {
	Types  map[string]Counts // per entity type
	Total  Counts            // summed over types
	Misses []Miss
}

// Evaluate scans every example and compares findings with the labels. A
// finding counts as a true positive only when a label has the same type,
// start and end (exact span match); any other finding is a false positive,
// and any label without such a finding a false negative. Only the types
// the scanner was built to detect are counted, so a corpus may carry
// labels for types the scanner leaves to others.
func Evaluate(s *Scanner, corpus []Example) Report {
	rep := Report{Types: map[string]Counts{}}
	var fs []Finding
	for i, ex := range corpus {
		text := []byte(ex.Text)
		fs = s.Scan(fs[:0], text)
		RuneOffsets(text, fs)
		got := make([]Entity, 0, len(fs))
		for _, f := range fs {
			got = append(got, Entity{Type: f.Type, Start: f.Start, End: f.End})
		}
		var want []Entity
		for _, e := range ex.Entities {
			if s.Detects(e.Type) {
				want = append(want, e)
			}
		}
		rep.compare(i, []rune(ex.Text), got, want)
	}
	return rep
}

func (r *Report) compare(i int, text []rune, got, want []Entity) {
	span := func(e Entity) string {
		return string(text[min(max(e.Start, 0), len(text)):min(max(e.End, e.Start, 0), len(text))])
	}
	for _, g := range got {
		c := r.Types[g.Type]
		if slices.Contains(want, g) {
			c.TP++
			r.Total.TP++
		} else {
			c.FP++
			r.Total.FP++
			r.Misses = append(r.Misses, Miss{Example: i, Kind: "fp", Entity: g, Text: span(g)})
		}
		r.Types[g.Type] = c
	}
	for _, w := range want {
		if slices.Contains(got, w) {
			continue
		}
		c := r.Types[w.Type]
		c.FN++
		r.Total.FN++
		r.Types[w.Type] = c
		r.Misses = append(r.Misses, Miss{Example: i, Kind: "fn", Entity: w, Text: span(w)})
	}
}

// Detects reports whether s reports findings of type t.
func (s *Scanner) Detects(t string) bool {
	if id, ok := typeIDs[t]; ok {
		return s.enabled.has(id)
	}
	for _, c := range s.custom {
		if c.typ == t {
			return true
		}
	}
	return false
}
