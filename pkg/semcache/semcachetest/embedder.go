// Package semcachetest provides a deterministic text embedder and an
// OpenAI-compatible embeddings server built on it, for tests of the
// semantic cache that must run offline.
//
// The embedder is lexical, not a language model: it hashes normalised
// words, word pairs and character trigrams into a fixed number of
// dimensions (feature hashing), with a small synonym and stop-word table,
// extra weight on numbers and negations, and L2 normalisation. Paraphrases
// that reuse or swap known synonyms score high; paraphrases with new words
// score lower than a real model would give them. Thresholds tuned against
// it hold for it only.
package semcachetest

import (
	"context"
	"hash/fnv"
	"math"
	"slices"
	"strings"
	"unicode"
)

// DefaultDims is the embedder's dimension when Dims is zero.
const DefaultDims = 256

// Feature weights: a number or a negation decides what a request means
// ("7 days" is not "30 days"; "with" is not "without"), so they outweigh
// ordinary words; word pairs keep some order; a word's sorted letters
// forgive swapped letters, and its trigrams other typos.
const (
	wordWeight     = 1.0
	numberWeight   = 3.0
	negationWeight = 3.0
	negatedWeight  = 2.0
	pairWeight     = 0.25
	roleWeight     = 2.0
	anagramWeight  = 1.5
	trigramWeight  = 0.25
)

// Embedder embeds text deterministically into Dims dimensions.
type Embedder struct {
	Dims int
}

// Embed implements the semantic index's Embedder.
func (e Embedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := make([][]float32, len(texts))
	for i, t := range texts {
		out[i] = e.Vector(t)
	}
	return out, nil
}

// Vector is text's unit vector. A text with no words gets a fixed vector
// of its own, so it is never zero.
func (e Embedder) Vector(text string) []float32 {
	dims := e.Dims
	if dims <= 0 {
		dims = DefaultDims
	}
	v := make([]float64, dims)
	add := func(feature string, w float64) {
		h := fnv.New64a()
		_, _ = h.Write([]byte(feature))
		s := h.Sum64()
		if s>>63 == 1 {
			w = -w
		}
		v[s%uint64(dims)] += w // #nosec G115 -- dims is positive
	}
	toks, roles := tokens(text)
	if len(toks) == 0 {
		add("\x00empty", 1)
	}
	negate := false
	for i, t := range toks {
		switch {
		case negations[t]:
			add("w:not", negationWeight)
			negate = true
			continue
		case isNumber(t):
			add("n:"+t, numberWeight)
		default:
			add("w:"+t, wordWeight)
			add("a:"+anagram(t), anagramWeight)
			for _, g := range trigrams(t) {
				add("c:"+g, trigramWeight)
			}
		}
		if negate {
			add("not:"+t, negatedWeight)
			negate = false
		}
		if roles[i] != "" {
			add(roles[i]+t, roleWeight)
		}
		if i > 0 {
			add("p:"+toks[i-1]+" "+t, pairWeight)
		}
	}
	var ss float64
	for _, x := range v {
		ss += x * x
	}
	if ss == 0 {
		// Features that cancel out exactly: any fixed unit vector will do.
		v[0], ss = 1, 1
	}
	out := make([]float32, dims)
	inv := 1 / math.Sqrt(ss)
	for i, x := range v {
		out[i] = float32(x * inv)
	}
	return out
}

// Tokens is text's normalised words: lower-cased, contractions expanded,
// synonyms mapped to one word, stop words dropped, plurals singular.
func Tokens(text string) []string {
	toks, _ := tokens(text)
	return toks
}

// tokens also returns each token's role: "to:" or "from:" after those
// prepositions, so "from A to B" differs from "from B to A", and "unit:"
// after a number, so "5 miles in km" differs from "5 km in miles".
func tokens(text string) (toks, roles []string) {
	text = strings.ToLower(text)
	for _, c := range contractions {
		text = strings.ReplaceAll(text, c[0], c[1])
	}
	role := ""
	for _, w := range split(text) {
		if r, ok := directions[w]; ok {
			role = r
			continue
		}
		if stopwords[w] || stopAnagrams[anagram(w)] {
			continue
		}
		if s, ok := synonyms[w]; ok {
			w = s
		} else if !isNumber(w) {
			w = singular(w)
		}
		if s, ok := synonyms[w]; ok {
			w = s
		} else if s, ok := synonymAnagrams[anagram(w)]; ok && len(w) > 3 {
			w = s
		}
		if w == "" || stopwords[w] {
			continue
		}
		toks = append(toks, w)
		roles = append(roles, role)
		role = ""
		if isNumber(w) {
			role = "unit:"
		}
	}
	return toks, roles
}

// split cuts text into runs of letters and digits; a '.' or ',' between
// digits stays inside a number.
func split(text string) []string {
	rs := []rune(text)
	var out []string
	var cur []rune
	for i, r := range rs {
		inNumber := (r == '.' || r == ',') && len(cur) > 0 && unicode.IsDigit(cur[len(cur)-1]) &&
			i+1 < len(rs) && unicode.IsDigit(rs[i+1])
		if unicode.IsLetter(r) || unicode.IsDigit(r) || inNumber {
			if r != ',' {
				cur = append(cur, r)
			}
			continue
		}
		if len(cur) > 0 {
			out = append(out, string(cur))
			cur = cur[:0]
		}
	}
	if len(cur) > 0 {
		out = append(out, string(cur))
	}
	return out
}

func isNumber(w string) bool {
	for _, r := range w {
		if !unicode.IsDigit(r) && r != '.' {
			return false
		}
	}
	return w != ""
}

func singular(w string) string {
	n := len(w)
	switch {
	case n > 4 && strings.HasSuffix(w, "ies"):
		return w[:n-3] + "y"
	case n > 3 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") &&
		!strings.HasSuffix(w, "us") && !strings.HasSuffix(w, "is"):
		return w[:n-1]
	}
	return w
}

func trigrams(w string) []string {
	rs := []rune("<" + w + ">")
	if len(rs) < 3 {
		return nil
	}
	out := make([]string, 0, len(rs)-2)
	for i := 0; i+3 <= len(rs); i++ {
		out = append(out, string(rs[i:i+3]))
	}
	return out
}

// anagram is w's letters sorted: the same for "weather" and "waether".
func anagram(w string) string {
	rs := []rune(w)
	slices.Sort(rs)
	return string(rs)
}
