package injection

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// classSet is a set of word classes.
type classSet [4]uint64

func (s *classSet) add(c int) { s[c/64] |= 1 << (c % 64) }

func (s *classSet) meets(o *classSet) bool {
	return s[0]&o[0]|s[1]&o[1]|s[2]&o[2]|s[3]&o[3] != 0
}

// step is one word of a rule: any word in a class of mask, after at most
// gap other words.
type step struct {
	mask classSet
	gap  int
}

type rule struct {
	sig   signal
	steps []step
}

// phraseIndex is the compiled rule set. Every lexicon word maps to the
// classes it belongs to; a text's words are looked up once, and rules are
// tried only from the words that can start them, so matching is linear in
// the number of words.
type phraseIndex struct {
	words  map[string]uint16 // word -> index into sets
	sets   []classSet
	starts [][]uint16 // set index -> rules whose first step it matches
	rules  []rule
	// filter has a bit for every lexicon word's wordKey; most words of a
	// text miss it and skip the map lookup.
	filter [1 << 10]uint64
}

// wordKey hashes a word's length and first and last bytes.
func wordKey(w []byte) uint32 {
	n := uint32(min(len(w), 0xff)) //nolint:gosec // bounded above
	return (uint32(w[0])*0x9e37 ^ uint32(w[len(w)-1])*0x85eb ^ n*0xc2b2) & (1<<16 - 1)
}

// maxWordLen bounds the words looked up; longer ones are in no class.
const maxWordLen = 40

var phrases = mustCompilePhrases()

func mustCompilePhrases() *phraseIndex {
	p, err := compilePhrases(classes, rules)
	if err != nil {
		panic(err) // the rule table is a constant; its tests compile it
	}
	return p
}

func compilePhrases(classWords map[string]string, specs []struct {
	sig  signal
	expr string
}) (*phraseIndex, error) {
	members := map[string]*classSet{}
	ids := map[string]int{}
	next := 0
	newClass := func(words []string) (int, error) {
		id := next
		next++
		if id >= len(classSet{})*64 {
			return 0, fmt.Errorf("more than %d word classes", len(classSet{})*64)
		}
		for _, w := range words {
			if w == "" || len(w) > maxWordLen || strings.IndexFunc(w, func(r rune) bool { return !unicode.IsLetter(r) }) >= 0 {
				return 0, fmt.Errorf("word %q: one to %d bytes of letters", w, maxWordLen)
			}
			if members[w] == nil {
				members[w] = new(classSet)
			}
			members[w].add(id)
		}
		return id, nil
	}
	for _, name := range slices.Sorted(maps.Keys(classWords)) {
		id, err := newClass(strings.Fields(classWords[name]))
		if err != nil {
			return nil, fmt.Errorf("class %s: %w", name, err)
		}
		ids[name] = id
	}
	p := &phraseIndex{words: map[string]uint16{}}
	for _, spec := range specs {
		r := rule{sig: spec.sig}
		gap := 0
		for _, tok := range strings.Fields(spec.expr) {
			if n, ok := strings.CutPrefix(tok, "~"); ok {
				g, err := strconv.Atoi(n)
				if err != nil || g < 0 {
					return nil, fmt.Errorf("rule %q: bad gap %q", spec.expr, tok)
				}
				gap = g
				continue
			}
			var st step
			st.gap = gap
			gap = 0
			var literal []string
			for _, alt := range strings.Split(tok, "|") {
				if name, ok := strings.CutPrefix(alt, "@"); ok {
					id, known := ids[name]
					if !known {
						return nil, fmt.Errorf("rule %q: unknown class %q", spec.expr, name)
					}
					st.mask.add(id)
					continue
				}
				literal = append(literal, alt)
			}
			if len(literal) > 0 {
				id, err := newClass(literal)
				if err != nil {
					return nil, fmt.Errorf("rule %q: %w", spec.expr, err)
				}
				st.mask.add(id)
			}
			r.steps = append(r.steps, st)
		}
		if len(r.steps) == 0 {
			return nil, fmt.Errorf("empty rule")
		}
		p.rules = append(p.rules, r)
	}
	for _, w := range slices.Sorted(maps.Keys(members)) {
		k := wordKey([]byte(w))
		p.filter[k/64] |= 1 << (k % 64)
		p.words[w] = uint16(len(p.sets)) //nolint:gosec // a few hundred words
		p.sets = append(p.sets, *members[w])
	}
	p.starts = make([][]uint16, len(p.sets))
	for si := range p.sets {
		for ri, r := range p.rules {
			if p.sets[si].meets(&r.steps[0].mask) {
				p.starts[si] = append(p.starts[si], uint16(ri))
			}
		}
	}
	return p, nil
}

// hit is a lexicon word of the text: its position among all words and
// its class set.
type hit struct {
	word int
	set  uint16
}

// lookup appends the lexicon words of lower-cased text to dst.
func (p *phraseIndex) lookup(dst []hit, text []byte) []hit {
	var word int
	for i := 0; i < len(text); {
		start, end := nextWord(text, i)
		if start < 0 {
			break
		}
		w := text[start:end]
		if k := wordKey(w); len(w) <= maxWordLen && p.filter[k/64]&(1<<(k%64)) != 0 {
			if si, ok := p.words[string(w)]; ok {
				dst = append(dst, hit{word, si})
			}
		}
		word++
		i = end
	}
	return dst
}

var asciiLetter = func() (t [256]bool) {
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-'a'+'A'] = true, true
	}
	return t
}()

// nextWord returns the bounds of the first run of letters at or after i,
// or -1 when there is none.
func nextWord(text []byte, i int) (start, end int) {
	start = -1
	for i < len(text) {
		c := text[i]
		size := 1
		letter := asciiLetter[c]
		if c >= utf8.RuneSelf {
			var r rune
			r, size = utf8.DecodeRune(text[i:])
			letter = unicode.IsLetter(r) || (start >= 0 && unicode.Is(unicode.Mn, r))
		}
		switch {
		case letter && start < 0:
			start = i
		case !letter && start >= 0:
			return start, i
		}
		i += size
	}
	if start < 0 {
		return -1, len(text)
	}
	return start, len(text)
}

// match adds to found the signals of the rules that hits satisfy.
func (p *phraseIndex) match(hits []hit, found *signals) {
	for k, h := range hits {
		for _, ri := range p.starts[h.set] {
			r := &p.rules[ri]
			if found.has(r.sig) {
				continue
			}
			if p.matchFrom(hits, k, r.steps[1:]) {
				found.set(r.sig)
			}
		}
	}
}

// matchFrom reports whether steps follow hits[k], each within its gap.
// Taking the nearest word for each step keeps a try within the sum of the
// rule's gaps.
func (p *phraseIndex) matchFrom(hits []hit, k int, steps []step) bool {
	pos := hits[k].word
	j := k + 1
	for si := range steps {
		st := &steps[si]
		found := false
		for ; j < len(hits) && int(hits[j].word-pos)-1 <= st.gap; j++ {
			if p.sets[hits[j].set].meets(&st.mask) {
				pos = hits[j].word
				j++
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}
