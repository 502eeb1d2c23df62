package pii

import "bytes"

// Byte classes, one table lookup per byte on the hot path.
const (
	cWord    uint16 = 1 << iota // [A-Za-z0-9_]: the scan skips whole words
	cDigit                      // [0-9]
	cUpper                      // [A-Z]
	cLower                      // [a-z]
	cHex                        // [0-9A-Fa-f]
	cB64URL                     // [A-Za-z0-9_-]
	cLocal                      // email local part: [A-Za-z0-9._%+-]
	cDomain                     // email domain: [A-Za-z0-9.-]
	cValue                      // a secret value's characters, unquoted
	cGlue                       // can sit inside an entity that has no spaces
	cSpacey                     // can sit between the pieces of a spaced entity
	cPEMBody                    // a PEM body: base64, line breaks, escaped "\n"
)

// Anchors: what a byte can start, when the scan reaches it between words.
const (
	aNone uint8 = iota
	aWord
	aAt
	aPhone // '+' or '('
	aDash  // '-': a PEM header
	aEq    // '=': an assignment
	aColon // ':': an assignment or a compressed IPv6 address
)

var (
	ctab   [256]uint16
	anchor [256]uint8
	// starts marks the bytes a word must start with for any detector to
	// look at it; most prose words are skipped on this one lookup.
	starts [256]bool
)

func init() {
	set := func(chars string, class uint16) {
		for i := range len(chars) {
			ctab[chars[i]] |= class
		}
	}
	const (
		digits = "0123456789"
		upper  = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		lower  = "abcdefghijklmnopqrstuvwxyz"
		alnum  = digits + upper + lower
	)
	set(alnum+"_", cWord)
	set(digits, cDigit)
	set(upper, cUpper)
	set(lower, cLower)
	set(digits+"ABCDEFabcdef", cHex)
	set(alnum+"_-", cB64URL)
	set(alnum+"._%+-", cLocal)
	set(alnum+".-", cDomain)
	set(alnum+"!#$%*+-./:=?@^_|~", cValue|cGlue)
	set(">", cGlue) // the "=>" of an assignment
	set(" \t()\"'", cSpacey)
	set(alnum+"+/=\r\n\\", cPEMBody)
	for c := range 256 {
		if ctab[c]&cWord != 0 {
			anchor[c] = aWord
		}
	}
	for _, c := range []byte(digits + upper + "abcdef" + "eghrsx") {
		starts[c] = true
	}
	anchor['@'] = aAt
	anchor['+'] = aPhone
	anchor['('] = aPhone
	anchor['-'] = aDash
	anchor['='] = aEq
	anchor[':'] = aColon
}

func is(c byte, class uint16) bool { return ctab[c]&class != 0 }

// at returns text[i], or 0 past the end: detectors peek one byte ahead
// without a bounds check of their own.
func at(text []byte, i int) byte {
	if i < len(text) && i >= 0 {
		return text[i]
	}
	return 0
}

// hit is a detector's result; end == 0 means nothing was found.
type hit struct {
	t          typeID
	start, end int
	score      float64
}

type scan struct {
	s       *Scanner
	text    []byte
	dst     []Finding
	lastEnd int
	noEnd   int // see pemBlock
}

func (sc *scan) emit(h hit) {
	if sc.s.enabled.has(h.t) {
		sc.dst = append(sc.dst, Finding{Type: typeNames[h.t], Start: h.start, End: h.end, Score: h.score})
	}
	sc.lastEnd = h.end
}

// run is the single pass: skip bytes that start nothing, try the detectors
// an anchor byte selects, and jump past whatever they found.
func (sc *scan) run() {
	text := sc.text
	n := len(text)
	i := 0
	for i < n {
		var h hit
		switch anchor[text[i]] {
		case aNone:
			i++
			continue
		case aWord:
			if starts[text[i]] {
				h = sc.word(i)
			}
			if h.end == 0 {
				i++
				for i < n && ctab[text[i]]&cWord != 0 {
					i++
				}
				continue
			}
		case aAt:
			h = sc.email(i)
		case aPhone:
			h = sc.phone(i)
		case aDash:
			h = sc.pem(i)
		case aEq:
			h = sc.assignment(i)
		case aColon:
			if h = sc.ipv6(i); h.end == 0 {
				h = sc.assignment(i)
			}
		}
		if h.end == 0 {
			i++
			continue
		}
		sc.emit(h)
		i = h.end
	}
}

// word tries the detectors that can start with the word at i.
func (sc *scan) word(i int) hit {
	text := sc.text
	c := text[i]
	if is(c, cDigit) {
		return sc.number(i)
	}
	var h hit
	switch c {
	case 'A':
		h = sc.awsOrGoogle(i)
	case 'e':
		h = sc.jwt(i)
	case 'g':
		h = sc.gitToken(i)
	case 's', 'r':
		h = sc.skToken(i)
	case 'x':
		h = sc.slackToken(i)
	case 'h':
		h = sc.slackWebhook(i)
	}
	if h.end != 0 {
		return h
	}
	if is(c, cUpper) {
		if h = sc.iban(i); h.end != 0 {
			return h
		}
	}
	if is(c, cHex) {
		if h = sc.hexStart(i); h.end != 0 {
			return h
		}
	}
	return hit{}
}

// hasContext reports whether one of words (lower-case ASCII) occurs in the
// window bytes before start. Context is only ever looked for before an
// entity, so a finding's score is final once the finding itself is.
func hasContext(text []byte, start, window int, words []string) bool {
	var buf [64]byte
	lo := max(0, start-min(window, len(buf)))
	w := buf[:start-lo]
	for i, c := range text[lo:start] {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		w[i] = c
	}
	for _, word := range words {
		if bytes.Contains(w, []byte(word)) {
			return true
		}
	}
	return false
}
