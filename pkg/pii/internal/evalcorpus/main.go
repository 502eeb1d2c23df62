// Command evalcorpus writes the synthetic evaluation corpus of pkg/pii:
// labelled sentences in several languages with entities in many formats,
// and hard negatives that look like entities but are not. It is seeded, so
// `go generate ./pkg/pii` rewrites testdata/eval.jsonl byte for byte. Every
// value is synthetic: example domains, 555 and Ofcom drama numbers, test
// card ranges, generated IBANs and keys.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"unicode/utf8"
)

type entity struct {
	Type  string `json:"type"`
	Start int    `json:"start"`
	End   int    `json:"end"`
}

type example struct {
	Text     string   `json:"text"`
	Entities []entity `json:"entities"`
}

// gen is one kind of entity: its type and a function making a value.
type gen struct {
	typ  string
	make func(r *rand.Rand) string
}

func main() {
	out := flag.String("o", "testdata/eval.jsonl", "output file")
	n := flag.Int("n", 3000, "number of examples")
	seed := flag.Uint64("seed", 20261122, "random seed")
	flag.Parse()
	if err := write(*out, *n, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "evalcorpus:", err)
		os.Exit(1)
	}
}

func write(path string, n int, seed uint64) error {
	f, err := os.Create(path) //nolint:gosec // the output path is the generator's own flag

	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	r := rand.New(rand.NewPCG(seed, seed^0x5eed)) //nolint:gosec // a seeded, reproducible corpus is the point
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for i := range n {
		if err := enc.Encode(makeExample(r, i)); err != nil {
			_ = f.Close()
			return err
		}
	}
	if err := w.Flush(); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

// builder appends text and records entity spans in code points.
type builder struct {
	sb    strings.Builder
	runes int
	ents  []entity
}

func (b *builder) text(s string) {
	b.sb.WriteString(s)
	b.runes += utf8.RuneCountInString(s)
}

func (b *builder) entity(typ, v string) {
	start := b.runes
	b.text(v)
	b.ents = append(b.ents, entity{Type: typ, Start: start, End: b.runes})
}

func makeExample(r *rand.Rand, i int) example {
	var b builder
	switch i % 5 {
	case 4:
		// Hard negatives only, sometimes next to a real entity.
		negativeSentence(r, &b)
		if r.IntN(3) == 0 {
			b.text(" ")
			positiveSentence(r, &b)
		}
	default:
		positiveSentence(r, &b)
		if r.IntN(3) == 0 {
			b.text(" ")
			negativeSentence(r, &b)
		}
	}
	if b.ents == nil {
		b.ents = []entity{}
	}
	return example{Text: b.sb.String(), Entities: b.ents}
}

// positiveSentence fills a template in a random language with one to three
// entities; the type mix favours the structured types.
func positiveSentence(r *rand.Rand, b *builder) {
	lang := languages[r.IntN(len(languages))]
	count := 1 + r.IntN(3)
	for k := range count {
		g := pick(r)
		t := lang.templates[g.typ]
		if t == nil {
			t = lang.generic
		}
		tmpl := t[r.IntN(len(t))]
		before, after, _ := strings.Cut(tmpl, "{}")
		if k > 0 {
			b.text(" ")
		}
		b.text(before)
		v := g.make(r)
		if g.typ == "US_SSN_PLAIN" {
			b.entity("US_SSN", v)
		} else {
			b.entity(g.typ, v)
		}
		b.text(after)
	}
}

func pick(r *rand.Rand) gen {
	if r.IntN(4) == 0 {
		return secretGens[r.IntN(len(secretGens))]
	}
	return structuredGens[r.IntN(len(structuredGens))]
}

func negativeSentence(r *rand.Rand, b *builder) {
	lang := languages[r.IntN(len(languages))]
	tmpl := lang.negative[r.IntN(len(lang.negative))]
	before, after, _ := strings.Cut(tmpl, "{}")
	b.text(before + negatives[r.IntN(len(negatives))](r) + after)
}
