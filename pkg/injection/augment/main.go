// Command augment writes the synthetic prompts that teach Sluice's
// injection model what long, task-like benign traffic looks like:
// testdata/augment.jsonl, which the training program adds to its training
// folds, and testdata/augment_heldout.jsonl, which it only scores.
//
// The public training set pairs short benign questions with long
// imperative injections, so a model fitted on it alone learns length and
// "task-ness" as the cue. The prompts here are long benign tasks (code
// review, documents to summarise or translate, e-mails, retrieved
// context, system prompts, configuration files, conversations, short
// instruction-following tasks in six languages) beside injections hidden
// inside the same kinds of text, so that only the injected content tells
// the two apart.
//
// Every pool of templates and fillers is dealt into two disjoint parts:
// the held-out file is built only from parts the training file never
// uses, so its figures measure phrasing the model has not seen. The
// output is a function of the seed alone; no text comes from real people.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "augment:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("augment", flag.ContinueOnError)
	dir := fs.String("out", "testdata", "directory to write augment.jsonl and augment_heldout.jsonl to")
	seed := fs.Uint64("seed", 1, "seed of the generator")
	if err := fs.Parse(args); err != nil {
		return err
	}
	for _, part := range []struct {
		file        string
		split       int
		benign, inj int
	}{
		{"augment.jsonl", train, 480, 200},
		{"augment_heldout.jsonl", heldout, 200, 100},
	} {
		g := &gen{rng: rand.New(rand.NewPCG(*seed, uint64(part.split))), split: part.split} //nolint:gosec // a seeded, reproducible corpus
		if err := write(filepath.Join(*dir, part.file), g.samples(part.benign, part.inj)); err != nil {
			return err
		}
	}
	return nil
}

// sample is one line of the output; kind names the generator that made
// it, for per-kind error analysis.
type sample struct {
	Text  string `json:"text"`
	Label int    `json:"label"`
	Kind  string `json:"kind"`
}

func write(path string, samples []sample) error {
	f, err := os.Create(path) // #nosec G304 -- the package's own testdata
	if err != nil {
		return err
	}
	if err := encode(f, samples); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

func encode(w io.Writer, samples []sample) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, s := range samples {
		if err := enc.Encode(s); err != nil {
			return err
		}
	}
	return nil
}

// The two splits. A pool's items are dealt so that every fourth one
// belongs to the held-out split.
const (
	train = iota
	heldout
)

// gen draws from the pools of one split.
type gen struct {
	rng   *rand.Rand
	split int
}

// part is the split's share of pool; pools too small to deal are shared.
func (g *gen) part(pool []string) []string {
	if len(pool) < 4 {
		return pool
	}
	var out []string
	for i, s := range pool {
		if (i%4 == 3) == (g.split == heldout) {
			out = append(out, s)
		}
	}
	return out
}

// pick draws one item of the split's share of pool.
func (g *gen) pick(pool []string) string {
	p := g.part(pool)
	return p[g.rng.IntN(len(p))]
}

// picks draws n distinct items (fewer when the share is smaller).
func (g *gen) picks(pool []string, n int) []string {
	p := append([]string(nil), g.part(pool)...)
	g.rng.Shuffle(len(p), func(a, b int) { p[a], p[b] = p[b], p[a] })
	return p[:min(n, len(p))]
}

// fill replaces each {key} in template with a draw from vars[key].
func (g *gen) fill(template string, vars map[string][]string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(template, '{')
		if i < 0 {
			b.WriteString(template)
			return b.String()
		}
		j := strings.IndexByte(template[i:], '}')
		key := template[i+1 : i+max(j, 1)]
		pool, ok := vars[key]
		if j < 0 || !ok {
			b.WriteString(template[:i+1])
			template = template[i+1:]
			continue
		}
		b.WriteString(template[:i])
		b.WriteString(g.pick(pool))
		template = template[i+j+1:]
	}
}

// kinds are the generators, each returning one prompt.
type kind struct {
	name string
	make func(*gen) string
}

// samples draws benign and injected prompts round-robin over the kinds,
// so every kind is represented in proportion.
func (g *gen) samples(benign, injected int) []sample {
	var out []sample
	seen := map[string]bool{}
	add := func(k kind, label int) {
		// Small pools repeat; a few redraws keep the lines distinct.
		text := k.make(g)
		for try := 0; seen[text] && try < 20; try++ {
			text = k.make(g)
		}
		if !seen[text] {
			seen[text] = true
			out = append(out, sample{Text: text, Label: label, Kind: k.name})
		}
	}
	for i := range benign {
		add(benignKinds[i%len(benignKinds)], 0)
	}
	for i := range injected {
		add(attackKinds[i%len(attackKinds)], 1)
	}
	g.rng.Shuffle(len(out), func(a, b int) { out[a], out[b] = out[b], out[a] })
	return out
}
