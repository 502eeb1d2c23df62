package pii

import (
	"fmt"
	"os"
	"slices"
	"testing"
)

// Targets for every structured type on the committed corpus.
const (
	minRecall    = 0.98
	minPrecision = 0.97
)

var structuredTypes = []string{TypeEmail, TypePhone, TypeCreditCard, TypeIBAN, TypeSSN, TypeIP, TypeMAC}

func loadCorpus(t testing.TB) []Example {
	t.Helper()
	return readCorpusFile(t, "testdata/eval.jsonl")
}

func readCorpusFile(t testing.TB, path string) []Example {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	corpus, err := ReadCorpus(f)
	if err != nil {
		t.Fatal(err)
	}
	return corpus
}

func TestEvaluateCorpus(t *testing.T) {
	checkTargets(t, loadCorpus(t), structuredTypes)
}

// TestEvaluateChallenge scores the scanner on texts written apart from the
// corpus generator: real-world layouts (tickets, logs, JSON, CSV,
// signatures, forms, chat) in seven languages, with the formats each type
// is written in and the hard negatives that resemble them.
func TestEvaluateChallenge(t *testing.T) {
	checkTargets(t, readCorpusFile(t, "testdata/challenge.jsonl"),
		[]string{TypeEmail, TypePhone, TypeCreditCard, TypeIBAN, TypeSSN, TypeIP})
}

func checkTargets(t *testing.T, corpus []Example, required []string) {
	t.Helper()
	s, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	rep := Evaluate(s, corpus)
	types := make([]string, 0, len(rep.Types))
	for typ := range rep.Types {
		types = append(types, typ)
	}
	slices.Sort(types)
	for _, typ := range types {
		c := rep.Types[typ]
		t.Logf("%-18s P=%.4f R=%.4f F1=%.4f (tp=%d fp=%d fn=%d)", typ, c.Precision(), c.Recall(), c.F1(), c.TP, c.FP, c.FN)
	}
	for _, m := range rep.Misses {
		t.Logf("%s %s %q (example %d)", m.Kind, m.Entity.Type, m.Text, m.Example)
	}
	for _, typ := range required {
		c, ok := rep.Types[typ]
		if !ok || c.TP == 0 {
			t.Errorf("%s: no examples in the corpus", typ)
			continue
		}
		if c.Recall() < minRecall || c.Precision() < minPrecision {
			t.Errorf("%s: precision %.4f, recall %.4f; want >= %.2f, >= %.2f", typ, c.Precision(), c.Recall(), minPrecision, minRecall)
		}
	}
}

func ExampleEvaluate() {
	s, _ := New(Config{Types: []string{TypeEmail}})
	rep := Evaluate(s, []Example{{
		Text:     "Écrivez à zoé@example.org ou à anna@example.org.",
		Entities: []Entity{{Type: TypeEmail, Start: 31, End: 47}},
	}})
	c := rep.Types[TypeEmail]
	fmt.Printf("tp=%d fp=%d fn=%d\n", c.TP, c.FP, c.FN)
	// Output: tp=1 fp=0 fn=0
}
