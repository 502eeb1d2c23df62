package match

import (
	"errors"
	"fmt"
	"regexp"
	"regexp/syntax"
	"unicode/utf8"
)

// MaxPatternLen bounds the longest match a pattern may have. A stream holds
// back up to this many bytes while a match could still be forming.
const MaxPatternLen = 256

// ErrUnbounded is returned for a pattern whose matches have no length
// bound (it uses *, + or {n,}).
var ErrUnbounded = errors.New("matches of unbounded length (*, + or {n,}); use a bounded repeat such as {1,64}")

// MaxLen returns the longest match expr can have, in bytes, or an error
// when expr does not parse as RE2, is unbounded, or exceeds MaxPatternLen.
func MaxLen(expr string) (int, error) {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return 0, err
	}
	n := maxLen(re.Simplify())
	switch {
	case n < 0:
		return 0, ErrUnbounded
	case n > MaxPatternLen:
		return 0, fmt.Errorf("matches up to %d bytes; the most allowed is %d", n, MaxPatternLen)
	}
	return n, nil
}

// maxLen is the longest match of re in bytes, -1 when unbounded. Values
// are capped well above MaxPatternLen so nested repeats cannot overflow.
func maxLen(re *syntax.Regexp) int {
	const limit = 1 << 20
	switch re.Op {
	case syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText,
		syntax.OpEndText, syntax.OpWordBoundary, syntax.OpNoWordBoundary, syntax.OpNoMatch:
		return 0
	case syntax.OpLiteral:
		n := 0
		for _, r := range re.Rune {
			if re.Flags&syntax.FoldCase != 0 {
				n += utf8.UTFMax // a folded form may be longer
			} else {
				n += utf8.RuneLen(r)
			}
		}
		return n
	case syntax.OpCharClass:
		n := 0
		for i := 1; i < len(re.Rune); i += 2 {
			n = max(n, utf8.RuneLen(re.Rune[i]))
		}
		return n
	case syntax.OpAnyCharNotNL, syntax.OpAnyChar:
		return utf8.UTFMax
	case syntax.OpCapture, syntax.OpQuest:
		return maxLen(re.Sub[0])
	case syntax.OpStar, syntax.OpPlus:
		return -1
	case syntax.OpRepeat:
		sub := maxLen(re.Sub[0])
		if re.Max < 0 || sub < 0 {
			return -1
		}
		return min(sub*re.Max, limit)
	case syntax.OpConcat:
		n := 0
		for _, s := range re.Sub {
			m := maxLen(s)
			if m < 0 {
				return -1
			}
			n = min(n+m, limit)
		}
		return n
	case syntax.OpAlternate:
		n := 0
		for _, s := range re.Sub {
			m := maxLen(s)
			if m < 0 {
				return -1
			}
			n = max(n, m)
		}
		return n
	}
	return -1
}

// Patterns is a set of bounded regular expressions. It is immutable and
// safe for concurrent use.
type Patterns struct {
	res    []*regexp.Regexp
	ids    []int
	maxLen int
}

// NewPatterns compiles exprs; ids[i] is reported for exprs[i]. It returns
// nil when exprs is empty.
func NewPatterns(exprs []string, ids []int) (*Patterns, error) {
	if len(exprs) == 0 {
		return nil, nil
	}
	p := &Patterns{}
	for i, e := range exprs {
		n, err := MaxLen(e)
		if err != nil {
			return nil, fmt.Errorf("pattern %q: %w", e, err)
		}
		re, err := regexp.Compile(e)
		if err != nil {
			return nil, fmt.Errorf("pattern %q: %w", e, err)
		}
		p.res = append(p.res, re)
		p.ids = append(p.ids, ids[i])
		p.maxLen = max(p.maxLen, n)
	}
	return p, nil
}

// MaxLen is the longest match any pattern can have.
func (p *Patterns) MaxLen() int { return p.maxLen }

// Find appends every pattern's non-overlapping matches in text to dst;
// matches of different patterns may overlap. Empty matches are skipped.
func (p *Patterns) Find(dst []Match, text []byte) []Match {
	for i, re := range p.res {
		for _, loc := range re.FindAllIndex(text, -1) {
			if loc[1] > loc[0] {
				dst = append(dst, Match{Start: loc[0], End: loc[1], ID: p.ids[i]})
			}
		}
	}
	return dst
}

// Hold is how many trailing bytes of text a match could still reach into:
// a match is at most MaxLen long, so one ending in the last MaxLen-1 bytes
// may still grow, and one starting there may not be complete.
func (p *Patterns) Hold(text []byte) int { return min(len(text), p.maxLen-1) }
