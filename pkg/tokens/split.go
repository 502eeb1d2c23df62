package tokens

import (
	"unicode/utf8"
)

// Before byte-pair merging, tiktoken cuts text into pre-tokens with one
// regular expression per encoding. Running those expressions through a
// backtracking regexp engine is what makes general-purpose ports slow, so
// the two patterns are written out here as scanners that give the same
// cuts: each function returns where the pre-token starting at i ends,
// trying the pattern's alternatives in the pattern's order.
//
// cl100k_base:
//
//	(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
//	 ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
//
// o200k_base:
//
//	[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|
//	[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|
//	\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+
//
// Invalid UTF-8 bytes are taken one at a time as U+FFFD would be
// classified (a symbol), and merged as the raw bytes they are.

// What asciiWord found.
const (
	unsure  = iota // non-ASCII text is involved: the general scanners decide
	isWord         // an ASCII word ends at the returned index
	notWord        // no word alternative can match here
)

// asciiWord is the fast path for the commonest pre-token, an ASCII word
// with an optional leading character: letters [A-Z]*[a-z]* (caseSplit,
// o200k) or [A-Za-z]* (cl100k).
func asciiWord(s string, i int, caseSplit bool) (int, int) {
	if s[i] >= utf8.RuneSelf {
		return 0, unsure
	}
	j := i
	if c := asciiClass[s[i]]; c&cLetter == 0 {
		if !prefixable(c) || i+1 == len(s) {
			return 0, notWord
		}
		if s[i+1] < utf8.RuneSelf && asciiClass[s[i+1]]&cLetter == 0 {
			return 0, notWord
		}
		j++ // the optional leading character
	}
	start := j
	if caseSplit {
		for j < len(s) && s[j]-'A' < 26 {
			j++
		}
		for j < len(s) && s[j]-'a' < 26 {
			j++
		}
	} else {
		for j < len(s) && (s[j]|0x20)-'a' < 26 {
			j++
		}
	}
	if j == start || (j < len(s) && s[j] >= utf8.RuneSelf) {
		return 0, unsure
	}
	return j, isWord
}

// punct reports whether a class is [^\s\p{L}\p{N}].
func punct(c uint8) bool { return c&(cSpace|cLetter|cNumber) == 0 }

// prefixable reports whether a class is [^\r\n\p{L}\p{N}].
func prefixable(c uint8) bool { return c&(cNewline|cLetter|cNumber) == 0 }

// run returns the end of the run of characters starting at i that have
// any of the class bits in want.
func run(s string, i int, want uint8) int {
	for i < len(s) {
		c, n := at(s, i)
		if c&want == 0 {
			break
		}
		i += n
	}
	return i
}

// punctRun returns the end of the run of [^\s\p{L}\p{N}] starting at i.
func punctRun(s string, i int) int {
	for i < len(s) {
		c, n := at(s, i)
		if !punct(c) {
			break
		}
		i += n
	}
	return i
}

// contraction returns the length of (?i:'s|'t|'re|'ve|'m|'ll|'d) at s[i:],
// or 0.
func contraction(s string, i int) int {
	if i+1 >= len(s) || s[i] != '\'' {
		return 0
	}
	switch s[i+1] | 0x20 {
	case 's', 't', 'm', 'd':
		return 2
	case 'r', 'v':
		if i+2 < len(s) && s[i+2]|0x20 == 'e' {
			return 3
		}
	case 'l':
		if i+2 < len(s) && s[i+2]|0x20 == 'l' {
			return 3
		}
	}
	return 0
}

// digits matches \p{N}{1,3} at i, whose first character is a number of
// width n.
func digits(s string, i, n int) int {
	j := i + n
	for k := 1; k < 3 && j < len(s); k++ {
		c, w := at(s, j)
		if c&cNumber == 0 {
			break
		}
		j += w
	}
	return j
}

// spaces matches \s*[\r\n]+|\s+(?!\S)|\s+ at i, where s[i] is white space.
func spaces(s string, i int) int {
	end, last, afterNewline, count := i, i, -1, 0
	for end < len(s) {
		c, n := at(s, end)
		if c&cSpace == 0 {
			break
		}
		if c&cNewline != 0 {
			afterNewline = end + n
		}
		last = end
		end += n
		count++
	}
	switch {
	case afterNewline >= 0:
		return afterNewline // \s*[\r\n]+ backtracks to the last newline
	case end == len(s) || count == 1:
		return end
	}
	return last // \s+(?!\S) leaves the last space to the next word
}

func splitCL100k(s string, i int) int {
	if k := contraction(s, i); k > 0 {
		return i + k
	}
	j, found := asciiWord(s, i, false)
	if found == isWord {
		return j
	}
	c, n := at(s, i)
	if found == unsure {
		if c&cLetter != 0 {
			return run(s, i+n, cLetter)
		}
		if prefixable(c) && i+n < len(s) {
			if c2, n2 := at(s, i+n); c2&cLetter != 0 {
				return run(s, i+n+n2, cLetter)
			}
		}
	}
	if c&cNumber != 0 {
		return digits(s, i, n)
	}
	if j := punctuation(s, i, c); j > 0 {
		for j < len(s) && (s[j] == '\r' || s[j] == '\n') {
			j++
		}
		return j
	}
	return spaces(s, i)
}

// punctuation matches ` ?[^\s\p{L}\p{N}]+` at i (whose class is c) and
// returns its end, or 0.
func punctuation(s string, i int, c uint8) int {
	if s[i] == ' ' && i+1 < len(s) {
		if c2, _ := at(s, i+1); punct(c2) {
			return punctRun(s, i+1)
		}
	}
	if punct(c) {
		return punctRun(s, i)
	}
	return 0
}

func splitO200k(s string, i int) int {
	j, found := asciiWord(s, i, true)
	if found == isWord {
		return j + contraction(s, j)
	}
	c, n := at(s, i)
	if found == unsure {
		if j := words(s, i, n, prefixable(c) && i+n < len(s)); j > 0 {
			return j + contraction(s, j)
		}
	}
	if c&cNumber != 0 {
		return digits(s, i, n)
	}
	if j := punctuation(s, i, c); j > 0 {
		for j < len(s) && (s[j] == '\r' || s[j] == '\n' || s[j] == '/') {
			j++
		}
		return j
	}
	return spaces(s, i)
}

// words tries o200k's two word alternatives at i, each with and then
// without the optional leading character (of width n), in the pattern's
// order, and returns the end of the first match or 0.
func words(s string, i, n int, prefix bool) int {
	if prefix {
		if j := casedWord(s, i+n); j > 0 {
			return j
		}
	}
	if j := casedWord(s, i); j > 0 {
		return j
	}
	if prefix {
		if j := capsWord(s, i+n); j > 0 {
			return j
		}
	}
	return capsWord(s, i)
}

// casedWord matches [Upper]*[Lower]+ at i (the classes overlap on Lm, Lo
// and marks) and returns its end, or 0. Backtracking the greedy [Upper]*
// ends either in a run of lower-case letters after the capitals, or just
// after the last capital-run character that is also in [Lower].
func casedWord(s string, i int) int {
	j, afterBoth := i, 0
	for j < len(s) {
		c, n := at(s, j)
		if c&cUpper == 0 {
			break
		}
		if c&cLower != 0 {
			afterBoth = j + n
		}
		j += n
	}
	if j < len(s) {
		if c, n := at(s, j); c&cLower != 0 {
			return run(s, j+n, cLower)
		}
	}
	return afterBoth
}

// capsWord matches [Upper]+[Lower]* at i and returns its end, or 0.
func capsWord(s string, i int) int {
	j := run(s, i, cUpper)
	if j == i {
		return 0
	}
	return run(s, j, cLower)
}
