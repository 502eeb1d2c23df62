package injection

import (
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Normalize strips zero-width and Unicode tag characters and folds look-alike
// forms; it appends to dst and returns it. Scoring normalises internally.
//
// In detail: invalid UTF-8 bytes, zero-width and invisible formatting
// characters (U+200B–U+200F, U+2060–U+2064, U+FEFF, soft hyphens,
// bidirectional controls, runs of variation selectors) and tag characters
// (U+E0000–U+E007F) are dropped; the rest is put in NFKC form, which folds
// full-width, mathematical, circled and ligature letters to plain ones;
// typographic quotes and dashes become ASCII; Cyrillic and Greek
// look-alikes inside words that also hold Latin letters become Latin; and
// combining marks stacked on ASCII letters are removed. Case is kept.
func Normalize(dst, text []byte) []byte {
	s := getScratch()
	defer putScratch(s)
	s.norm.reset()
	return s.norm.run(dst, text)
}

// normalizer carries what normalisation saw, for the signals, and the
// scratch buffers it needs, so a pooled one normalises without allocating.
type normalizer struct {
	zeroWidth bool   // an invisible character sat against a letter or digit
	tags      bool   // tag characters outside an emoji flag sequence
	homoglyph bool   // a word mixed Latin with Cyrillic or Greek look-alikes
	hidden    []byte // the ASCII that tag characters spelled out
	stripped  []byte
	composed  []byte
}

func (n *normalizer) reset() {
	n.zeroWidth, n.tags, n.homoglyph = false, false, false
	n.hidden = n.hidden[:0]
}

// run is Normalize, recording what it saw in n.
func (n *normalizer) run(dst, text []byte) []byte {
	if isPlainASCII(text) {
		return append(dst, text...)
	}
	n.stripped = n.strip(n.stripped[:0], text)
	n.composed = norm.NFKC.Append(n.composed[:0], n.stripped...)
	return n.fold(dst, n.composed)
}

// isPlainASCII reports text that normalisation leaves unchanged.
func isPlainASCII(text []byte) bool {
	for _, c := range text {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// strip drops invalid bytes, invisible characters and tag characters.
func (n *normalizer) strip(dst, text []byte) []byte {
	var prev rune  // the last rune kept
	flag := false  // inside a tag sequence that follows an emoji flag
	vs := 0        // variation selectors in a row
	split := false // invisible characters follow a letter or digit
	for i := 0; i < len(text); {
		c := text[i]
		if c < utf8.RuneSelf {
			n.zeroWidth = n.zeroWidth || (split && isAlnumASCII(rune(c)))
			dst = append(dst, c)
			prev, vs, split, i = rune(c), 0, false, i+1
			continue
		}
		r, size := utf8.DecodeRune(text[i:])
		i += size
		switch {
		case r == utf8.RuneError && size == 1:
			continue
		case r >= 0xE0000 && r <= 0xE007F:
			flag = flag || prev == 0x1F3F4
			if !flag {
				n.tags = true
				if r >= 0xE0020 && r <= 0xE007E {
					n.hidden = append(n.hidden, byte(r-0xE0000))
				}
			}
			continue
		case isInvisible(r):
			// Inside a word it splits a keyword for a scanner and not for
			// a model; between words it is usually a copy-paste artefact.
			split = split || isAlnumASCII(prev)
			n.zeroWidth = n.zeroWidth || isBidiOverride(r)
			continue
		case isVariationSelector(r):
			// One selector after an emoji picks its presentation; a run of
			// them is a known way to smuggle bytes past a reader.
			if vs++; vs >= 3 {
				n.zeroWidth = true
			}
			if vs > 1 || r >= 0xE0100 {
				continue
			}
		default:
			vs = 0
		}
		flag, split = false, false
		prev = r
		dst = utf8.AppendRune(dst, r)
	}
	return dst
}

func isAlnumASCII(r rune) bool {
	return r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
}

// isInvisible reports characters that render as nothing: zero-width
// spaces and joiners, word joiners, invisible operators, byte-order marks,
// soft hyphens, Hangul fillers and bidirectional controls.
func isInvisible(r rune) bool {
	switch {
	case r >= 0x200B && r <= 0x200F, r >= 0x2060 && r <= 0x2064, r >= 0x2066 && r <= 0x206F,
		r >= 0x202A && r <= 0x202E:
		return true
	}
	switch r {
	case 0xFEFF, 0x00AD, 0x180E, 0x115F, 0x1160, 0x3164, 0xFFA0, 0x061C:
		return true
	}
	return false
}

// isBidiOverride reports the bidirectional overrides and isolates, which
// reorder what a reader sees against what a model reads.
func isBidiOverride(r rune) bool {
	return r >= 0x202A && r <= 0x202E || r >= 0x2066 && r <= 0x2069
}

func isVariationSelector(r rune) bool {
	return r >= 0xFE00 && r <= 0xFE0F || r >= 0xE0100 && r <= 0xE01EF
}

// fold maps typographic punctuation to ASCII, turns look-alike letters in
// mixed-script words into Latin, and drops combining marks left on ASCII
// letters (NFKC has already composed the ones that make real letters).
func (n *normalizer) fold(dst, text []byte) []byte {
	for i := 0; i < len(text); {
		c := text[i]
		if c < utf8.RuneSelf {
			dst = append(dst, c)
			i++
			if isLetterASCII(c) {
				i = skipMarks(text, i)
			}
			continue
		}
		r, size := utf8.DecodeRune(text[i:])
		if unicode.IsLetter(r) {
			end := wordEnd(text, i)
			dst = n.foldWord(dst, text[i:end])
			i = end
			continue
		}
		if a := asciiPunct(r); a != 0 {
			dst = append(dst, a)
		} else {
			dst = append(dst, text[i:i+size]...)
		}
		i += size
	}
	return dst
}

func isLetterASCII(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

// skipMarks returns the index after the combining marks at text[i:].
func skipMarks(text []byte, i int) int {
	for i < len(text) && text[i] >= utf8.RuneSelf {
		r, size := utf8.DecodeRune(text[i:])
		if !unicode.Is(unicode.Mn, r) {
			break
		}
		i += size
	}
	return i
}

// wordEnd returns the end of the run of letters and marks starting at i.
func wordEnd(text []byte, i int) int {
	for i < len(text) {
		r, size := utf8.DecodeRune(text[i:])
		if !unicode.IsLetter(r) && !unicode.Is(unicode.Mn, r) {
			break
		}
		i += size
	}
	return i
}

// foldWord appends word, with look-alikes made Latin when the word also
// holds Latin letters ("раypal" with a Cyrillic "ра" is an attack, while an
// all-Cyrillic word is Russian and stays as it is), and without the
// combining marks that follow an ASCII letter.
func (n *normalizer) foldWord(dst, word []byte) []byte {
	latin, lookalike := false, false
	for _, r := range string(word) {
		switch {
		case r < utf8.RuneSelf || unicode.Is(unicode.Latin, r):
			latin = true
		case confusables[r] != 0:
			lookalike = true
		}
	}
	fold := latin && lookalike
	n.homoglyph = n.homoglyph || fold
	afterASCII := false
	for i := 0; i < len(word); {
		r, size := utf8.DecodeRune(word[i:])
		i += size
		if a := confusables[r]; fold && a != 0 {
			r = rune(a)
		}
		switch {
		case afterASCII && unicode.Is(unicode.Mn, r):
		case r < utf8.RuneSelf:
			dst = append(dst, byte(r)) //nolint:gosec // r is ASCII
			afterASCII = true
		default:
			dst = utf8.AppendRune(dst, r)
			afterASCII = false
		}
	}
	return dst
}

// asciiPunct maps typographic quotes, dashes and spaces to ASCII.
func asciiPunct(r rune) byte {
	switch r {
	case 0x2018, 0x2019, 0x201A, 0x201B, 0x2032, 0x02BC, 0x00B4:
		return '\''
	case 0x201C, 0x201D, 0x201E, 0x201F, 0x2033, 0x00AB, 0x00BB:
		return '"'
	case 0x2010, 0x2011, 0x2012, 0x2013, 0x2014, 0x2015, 0x2212:
		return '-'
	case 0x2028, 0x2029:
		return '\n'
	}
	if unicode.IsSpace(r) {
		return ' '
	}
	return 0
}
