// Package pii finds personal data and secrets in text, in process and in one
// pass: emails, phone numbers, payment cards, IBANs, US SSNs, IP and MAC
// addresses, provider API keys and tokens, JWTs, PEM private keys, Sluice's
// own API keys, and high-entropy values assigned to secret-looking names.
//
// Every built-in detector starts from a cheap anchor (a first-byte table,
// '@', '=' or ':', a run of digits, a known prefix) and then validates what
// it found (Luhn, mod-97, checksums, issuer and country tables), so Scan is
// linear in the text and never backtracks. Custom detectors from config add
// RE2 patterns and Aho-Corasick phrase dictionaries. See README.md for every
// type, rule and score, and for the streaming contract of Hold.
package pii

//go:generate go run ./internal/evalcorpus -o testdata/eval.jsonl

import (
	"fmt"
	"slices"
	"unicode/utf8"
)

// Finding is one entity found in a text.
type Finding struct {
	Type  string  // EMAIL_ADDRESS, PHONE_NUMBER, ... and the secret types
	Start int     // byte offset into the scanned text, inclusive
	End   int     // byte offset, exclusive
	Score float64 // confidence in [0, 1]
}

// Config chooses what a Scanner detects.
type Config struct {
	Types  []string         // entity types to detect; empty = every built-in type
	Custom []CustomDetector // detectors from config
}

// CustomDetector is a user-defined entity type.
type CustomDetector struct {
	Type            string   // entity type reported, e.g. EMPLOYEE_ID
	Patterns        []string // RE2 regular expressions
	Phrases         []string // dictionary, matched with Aho-Corasick
	CaseInsensitive bool
	Validator       string   // "", "luhn", "mod97"
	ContextWords    []string // nearby words that raise the score
	Score           float64  // base score, default 0.6 (0.85 with a context word)
}

// Scanner finds entities in text. It is immutable and safe for concurrent use.
type Scanner struct {
	enabled  typeSet
	custom   []*customDetector
	hasRegex bool
	// customHold is how far back a custom match can start from the end of a
	// text and still grow with more text.
	customHold int
}

// New builds a Scanner. It fails on an unknown type, a bad custom pattern or
// validator, so a config error surfaces at load time, not per request.
func New(cfg Config) (*Scanner, error) {
	s := &Scanner{}
	customTypes := map[string]bool{}
	for i, cd := range cfg.Custom {
		c, err := newCustomDetector(cd)
		if err != nil {
			return nil, fmt.Errorf("pii: custom[%d]: %w", i, err)
		}
		if _, builtin := typeIDs[cd.Type]; builtin {
			return nil, fmt.Errorf("pii: custom[%d]: type %q is a built-in type", i, cd.Type)
		}
		customTypes[cd.Type] = true
		s.custom = append(s.custom, c)
		s.hasRegex = s.hasRegex || c.re != nil
		s.customHold = max(s.customHold, c.hold())
	}
	if len(cfg.Types) == 0 {
		s.enabled = allTypes
		return s, nil
	}
	for i, t := range cfg.Types {
		id, ok := typeIDs[t]
		switch {
		case ok:
			s.enabled |= 1 << id
		case customTypes[t]:
		default:
			return nil, fmt.Errorf("pii: types[%d]: unknown type %q", i, t)
		}
	}
	return s, nil
}

// Scan appends text's findings to dst (sorted by Start, non-overlapping)
// and returns dst.
func (s *Scanner) Scan(dst []Finding, text []byte) []Finding {
	base := len(dst)
	sc := scan{s: s, text: text, dst: dst, lastEnd: 0}
	sc.run()
	dst = sc.dst
	if len(s.custom) == 0 {
		return dst
	}
	for _, c := range s.custom {
		dst = c.find(dst, text)
	}
	return resolve(dst, base)
}

// resolve sorts dst[base:] and drops overlaps: the earlier start wins, then
// the longer span, then the higher score.
func resolve(dst []Finding, base int) []Finding {
	fs := dst[base:]
	slices.SortStableFunc(fs, func(a, b Finding) int {
		switch {
		case a.Start != b.Start:
			return a.Start - b.Start
		case a.End != b.End:
			return b.End - a.End
		case a.Score > b.Score:
			return -1
		case a.Score < b.Score:
			return 1
		}
		return 0
	})
	out := base
	end := -1
	for _, f := range fs {
		if f.Start < end {
			continue
		}
		dst[out] = f
		out++
		end = f.End
	}
	return dst[:out]
}

// BuiltinTypes lists every built-in entity type.
func BuiltinTypes() []string {
	return slices.Clone(typeNames[:])
}

// RuneOffsets converts findings' byte offsets into code-point offsets into
// text, in place. An invalid UTF-8 byte counts as one code point, as
// utf8.RuneCount counts it.
func RuneOffsets(text []byte, fs []Finding) {
	pos, runes := 0, 0
	conv := func(off int) int {
		off = min(max(off, 0), len(text))
		if off < pos {
			pos, runes = 0, 0
		}
		runes += utf8.RuneCount(text[pos:off])
		pos = off
		return runes
	}
	for i := range fs {
		fs[i].Start = conv(fs[i].Start)
		fs[i].End = conv(fs[i].End)
	}
}
