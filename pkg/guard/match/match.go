// Package match finds banned phrases and bounded patterns in text that
// arrives in pieces. Besides the matches in a text, each matcher says how
// many bytes at its end could still become (part of) a match once more
// text arrives, so a stream can release everything before them.
//
// Phrases match regardless of case. Case is folded rune by rune, and only
// where the folded rune has the same UTF-8 length, so offsets into the
// folded text are offsets into the original.
package match

import (
	"bytes"
	"slices"
	"sort"
	"unicode"
	"unicode/utf8"

	ahocorasick "github.com/petar-dambovaliev/aho-corasick"
)

// Match is one match: text[Start:End], found by pattern or phrase ID.
type Match struct {
	Start, End int
	ID         int
}

// Fold appends text to dst with every rune folded to lower case where that
// keeps its UTF-8 length; other runes and invalid bytes are copied as they
// are.
func Fold(dst, text []byte) []byte {
	for i := 0; i < len(text); {
		c := text[i]
		if c < utf8.RuneSelf {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			dst = append(dst, c)
			i++
			continue
		}
		r, n := utf8.DecodeRune(text[i:])
		if l := unicode.ToLower(r); r != utf8.RuneError && l != r && utf8.RuneLen(l) == n {
			dst = utf8.AppendRune(dst, l)
		} else {
			dst = append(dst, text[i:i+n]...)
		}
		i += n
	}
	return dst
}

// Dictionary matches a fixed set of phrases regardless of case, with an
// Aho-Corasick automaton. It is immutable and safe for concurrent use.
type Dictionary struct {
	ac     ahocorasick.AhoCorasick
	ids    []int    // automaton pattern index → caller's phrase id
	sorted [][]byte // folded phrases, sorted, for Hold
	maxLen int
}

// NewDictionary builds a dictionary of phrases; ids[i] is reported for
// phrases[i]. Empty phrases are ignored. It returns nil when no phrase is
// left.
func NewDictionary(phrases []string, ids []int) *Dictionary {
	d := &Dictionary{}
	var pats [][]byte
	for i, p := range phrases {
		if p == "" {
			continue
		}
		f := Fold(nil, []byte(p))
		pats = append(pats, f)
		d.ids = append(d.ids, ids[i])
		d.maxLen = max(d.maxLen, len(f))
	}
	if len(pats) == 0 {
		return nil
	}
	b := ahocorasick.NewAhoCorasickBuilder(ahocorasick.Opts{MatchKind: ahocorasick.LeftMostLongestMatch, DFA: true})
	d.ac = b.BuildByte(pats)
	d.sorted = slices.Clone(pats)
	slices.SortFunc(d.sorted, bytes.Compare)
	d.sorted = slices.CompactFunc(d.sorted, bytes.Equal)
	return d
}

// MaxLen is the length in bytes of the longest phrase.
func (d *Dictionary) MaxLen() int { return d.maxLen }

// Find appends the leftmost-longest, non-overlapping matches in folded (a
// text passed through Fold) to dst.
func (d *Dictionary) Find(dst []Match, folded []byte) []Match {
	it := d.ac.IterByte(folded)
	for m := it.Next(); m != nil; m = it.Next() {
		dst = append(dst, Match{Start: m.Start(), End: m.End(), ID: d.ids[m.Pattern()]})
	}
	return dst
}

// Hold is the length of the longest suffix of folded that is a proper
// prefix of a phrase: those bytes may yet become a match.
func (d *Dictionary) Hold(folded []byte) int {
	for i := max(0, len(folded)-d.maxLen+1); i < len(folded); i++ {
		if d.isProperPrefix(folded[i:]) {
			return len(folded) - i
		}
	}
	return 0
}

func (d *Dictionary) isProperPrefix(s []byte) bool {
	k := sort.Search(len(d.sorted), func(i int) bool { return bytes.Compare(d.sorted[i], s) >= 0 })
	for ; k < len(d.sorted) && bytes.HasPrefix(d.sorted[k], s); k++ {
		if len(d.sorted[k]) > len(s) {
			return true
		}
	}
	return false
}
