package main

import (
	"fmt"
	"io"
	"math"
	"strings"
	"unicode/utf8"
)

// row is one line of the report: a detector's counts on one corpus.
type row struct {
	Section string // "PII" or a prompt-injection corpus
	Name    string // entity type, or "injection"
	TP      int
	FP      int
	FN      int
	// Support is how many positives the corpus holds (TP + FN).
	Support int
}

// The ratios are NaN when undefined (nothing predicted, or nothing
// labelled), and print as "-" rather than a flattering 1 or a harsh 0.
func (r row) precision() float64 { return ratio(r.TP, r.TP+r.FP) }
func (r row) recall() float64    { return ratio(r.TP, r.TP+r.FN) }

func (r row) f1() float64 {
	p, q := r.precision(), r.recall()
	if math.IsNaN(p) || math.IsNaN(q) {
		return math.NaN()
	}
	if p+q == 0 {
		return 0
	}
	return 2 * p * q / (p + q)
}

func ratio(a, b int) float64 {
	if b == 0 {
		return math.NaN()
	}
	return float64(a) / float64(b)
}

func figure(x float64) string {
	if math.IsNaN(x) {
		return "-"
	}
	return fmt.Sprintf("%.3f", x)
}

// total sums rows into one micro-averaged row.
func total(section string, rows []row) row {
	t := row{Section: section, Name: "all (micro)"}
	for _, r := range rows {
		t.TP += r.TP
		t.FP += r.FP
		t.FN += r.FN
		t.Support += r.Support
	}
	return t
}

var header = []string{"corpus", "detector", "precision", "recall", "F1", "TP", "FP", "FN", "support"}

func (r row) cells() []string {
	return []string{r.Section, r.Name, figure(r.precision()), figure(r.recall()), figure(r.f1()), fmt.Sprint(r.TP), fmt.Sprint(r.FP), fmt.Sprint(r.FN), fmt.Sprint(r.Support)}
}

// writeText aligns the table in columns: names left, figures right.
func writeText(w io.Writer, rows []row) error {
	lines := [][]string{header}
	for _, r := range rows {
		lines = append(lines, r.cells())
	}
	width := make([]int, len(header))
	for _, l := range lines {
		for i, c := range l {
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	var b strings.Builder
	for _, l := range lines {
		for i, c := range l {
			pad := strings.Repeat(" ", width[i]-utf8.RuneCountInString(c))
			switch {
			case i < 2:
				b.WriteString(c + pad + "  ")
			case i == len(l)-1:
				b.WriteString(pad + c + "\n")
			default:
				b.WriteString(pad + c + "  ")
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeMarkdown(w io.Writer, rows []row) error {
	var b strings.Builder
	b.WriteString("| " + strings.Join(header, " | ") + " |\n")
	b.WriteString("|---|---|" + strings.Repeat("---:|", len(header)-2) + "\n")
	for _, r := range rows {
		c := r.cells()
		if strings.HasPrefix(r.Name, "all") {
			c[1] = "**" + c[1] + "**"
		}
		b.WriteString("| " + strings.Join(c, " | ") + " |\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}
