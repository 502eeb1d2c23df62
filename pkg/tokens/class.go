package tokens

import (
	"sync"
	"unicode"
	"unicode/utf8"
)

// Character classes, as bits.
const (
	cLetter  uint8 = 1 << iota // \p{L}
	cNumber                    // \p{N}
	cSpace                     // \s (Unicode White_Space)
	cUpper                     // [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]
	cLower                     // [\p{Ll}\p{Lm}\p{Lo}\p{M}]
	cNewline                   // \r or \n
)

// asciiClass holds the classes of the ASCII characters, which are most of
// what prompts contain.
var asciiClass = func() (t [utf8.RuneSelf]uint8) {
	for r := range rune(utf8.RuneSelf) {
		t[r] = classify(r)
	}
	return t
}()

func classify(r rune) uint8 {
	switch {
	case r == '\r' || r == '\n':
		return cSpace | cNewline
	case unicode.IsSpace(r):
		return cSpace
	case unicode.IsLetter(r):
		switch {
		case unicode.IsUpper(r) || unicode.IsTitle(r):
			return cLetter | cUpper
		case unicode.IsLower(r):
			return cLetter | cLower
		}
		return cLetter | cUpper | cLower // Lm, Lo
	case unicode.IsNumber(r):
		return cNumber
	case unicode.IsMark(r):
		return cUpper | cLower
	}
	return 0
}

// at returns the class and byte width of the character at s[i].
func at(s string, i int) (uint8, int) {
	if b := s[i]; b < utf8.RuneSelf {
		return asciiClass[b], 1
	}
	return atRune(s, i)
}

func atRune(s string, i int) (uint8, int) {
	r, n := utf8.DecodeRuneInString(s[i:])
	if r <= 0xffff {
		return bmpClass()[r], n
	}
	return classify(r), n
}

// bmpClass holds the classes of the Basic Multilingual Plane, where the
// Unicode tables' range searches would dominate non-Latin text. It is
// 64 KiB, built on first use.
var bmpClass = sync.OnceValue(func() *[0x10000]uint8 {
	t := new([0x10000]uint8)
	for r := range t {
		t[r] = classify(rune(r))
	}
	return t
})
