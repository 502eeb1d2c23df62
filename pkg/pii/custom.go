package pii

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	ahocorasick "github.com/petar-dambovaliev/aho-corasick"
)

const (
	defaultCustomScore = 0.6
	contextBoost       = 0.25
	// maxCustomMatch bounds a custom match: longer ones are dropped, so a
	// stream only ever holds this much back for custom patterns.
	maxCustomMatch = 256
	contextWindow  = 48
)

var customTypeRE = regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`)

type customDetector struct {
	typ       string
	re        *regexp.Regexp
	ac        *ahocorasick.AhoCorasick
	maxPhrase int
	validate  func([]byte) bool
	context   []string
	score     float64
}

func newCustomDetector(cd CustomDetector) (*customDetector, error) {
	if !customTypeRE.MatchString(cd.Type) {
		return nil, fmt.Errorf("type %q: want upper-case letters, digits and '_'", cd.Type)
	}
	if len(cd.Patterns) == 0 && len(cd.Phrases) == 0 {
		return nil, errors.New("needs patterns or phrases")
	}
	if cd.Score < 0 || cd.Score > 1 {
		return nil, fmt.Errorf("score %v: want a value in [0, 1]", cd.Score)
	}
	c := &customDetector{typ: cd.Type, score: cd.Score}
	if c.score == 0 {
		c.score = defaultCustomScore
	}
	switch cd.Validator {
	case "":
	case "luhn":
		c.validate = func(m []byte) bool { return luhnDigits(m) }
	case "mod97":
		c.validate = mod97Alnum
	default:
		return nil, fmt.Errorf("validator %q: want \"\", \"luhn\" or \"mod97\"", cd.Validator)
	}
	if len(cd.Patterns) > 0 {
		alts := make([]string, len(cd.Patterns))
		for i, p := range cd.Patterns {
			if _, err := regexp.Compile(p); err != nil {
				return nil, fmt.Errorf("patterns[%d]: %w", i, err)
			}
			alts[i] = "(?:" + p + ")"
		}
		expr := strings.Join(alts, "|")
		if cd.CaseInsensitive {
			expr = "(?i)" + expr
		}
		re, err := regexp.Compile(expr)
		if err != nil {
			return nil, fmt.Errorf("patterns: %w", err)
		}
		c.re = re
	}
	if len(cd.Phrases) > 0 {
		for i, p := range cd.Phrases {
			if strings.TrimSpace(p) == "" {
				return nil, fmt.Errorf("phrases[%d]: empty phrase", i)
			}
			c.maxPhrase = max(c.maxPhrase, len(p))
		}
		b := ahocorasick.NewAhoCorasickBuilder(ahocorasick.Opts{
			AsciiCaseInsensitive: cd.CaseInsensitive,
			MatchKind:            ahocorasick.LeftMostLongestMatch,
			DFA:                  true,
		})
		ac := b.Build(cd.Phrases)
		c.ac = &ac
	}
	for _, w := range cd.ContextWords {
		if w = strings.ToLower(strings.TrimSpace(w)); w != "" {
			c.context = append(c.context, w)
		}
	}
	return c, nil
}

// hold is how far back from the end of a text a match of c can start and
// still change with more text.
func (c *customDetector) hold() int {
	h := 0
	if c.re != nil {
		h = maxCustomMatch + 1
	}
	if c.ac != nil {
		h = max(h, c.maxPhrase+1)
	}
	return h
}

// find appends c's matches in text to dst. Regular expressions are the one
// detector that runs its own pass over the whole text; RE2 keeps it linear.
func (c *customDetector) find(dst []Finding, text []byte) []Finding {
	if c.re != nil {
		for _, m := range c.re.FindAllIndex(text, -1) {
			dst = c.add(dst, text, m[0], m[1])
		}
	}
	if c.ac != nil {
		last := 0
		it := c.ac.IterByte(text)
		for m := it.Next(); m != nil; m = it.Next() {
			s, e := m.Start(), m.End()
			// Whole words only, checked here rather than by the library,
			// whose check recurses once per rejected match.
			if s < last || is(at(text, s-1), cWord) || is(at(text, e), cWord) {
				continue
			}
			dst = c.add(dst, text, s, e)
			last = e
		}
	}
	return dst
}

func (c *customDetector) add(dst []Finding, text []byte, s, e int) []Finding {
	if e <= s || e-s > maxCustomMatch {
		return dst
	}
	if c.validate != nil && !c.validate(text[s:e]) {
		return dst
	}
	score := c.score
	if len(c.context) > 0 && hasContext(text, s, contextWindow, c.context) {
		score = min(1, score+contextBoost)
	}
	return append(dst, Finding{Type: c.typ, Start: s, End: e, Score: score})
}

// luhnDigits runs Luhn over the digits of m, ignoring spaces and dashes.
func luhnDigits(m []byte) bool {
	var buf [maxCustomMatch]byte
	d := buf[:0]
	for _, ch := range m {
		switch {
		case is(ch, cDigit):
			d = append(d, ch)
		case ch == ' ' || ch == '-':
		default:
			return false
		}
	}
	return len(d) >= 2 && luhn(d)
}

// mod97Alnum runs the IBAN mod-97 check over the letters and digits of m.
func mod97Alnum(m []byte) bool {
	var buf [maxCustomMatch]byte
	d := buf[:0]
	for _, ch := range m {
		switch {
		case is(ch, cUpper|cLower|cDigit):
			d = append(d, ch)
		case ch == ' ':
		default:
			return false
		}
	}
	return mod97(d)
}
