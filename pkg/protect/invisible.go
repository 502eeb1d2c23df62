package protect

import "strings"

// invisible reports the characters strip_invisible removes: zero-width
// characters, bidirectional controls and Unicode tag characters. They
// render as nothing, so they can carry an instruction (tag characters
// spell ASCII) or reorder text past a human reviewer, and a detector
// reading the raw text may miss a value they split.
func invisible(r rune) bool {
	for _, rg := range invisibleRanges {
		if r >= rg.lo && r <= rg.hi {
			return true
		}
	}
	return false
}

var invisibleRanges = [...]struct{ lo, hi rune }{
	{0x00AD, 0x00AD},   // soft hyphen
	{0x180E, 0x180E},   // Mongolian vowel separator
	{0x200B, 0x200F},   // zero-width space, (non-)joiner, LRM, RLM
	{0x202A, 0x202E},   // bidi embeddings and overrides
	{0x2060, 0x2064},   // word joiner, invisible operators
	{0x2066, 0x2069},   // bidi isolates
	{0xFEFF, 0xFEFF},   // byte order mark
	{0xE0000, 0xE007F}, // tags
}

// stripInvisible returns s without invisible characters, and whether any
// were removed. Text without any (the usual case) is returned as is.
func stripInvisible(s string) (string, bool) {
	first := -1
	for i, r := range s {
		if r >= 0xAD && invisible(r) {
			first = i
			break
		}
	}
	if first < 0 {
		return s, false
	}
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(s[:first])
	for _, r := range s[first:] {
		if !invisible(r) {
			b.WriteRune(r)
		}
	}
	return b.String(), true
}
