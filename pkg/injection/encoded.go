package injection

import (
	"unicode"
	"unicode/utf8"
)

const (
	// minBase64Run is the shortest base64 run decoded: 15 bytes of text,
	// short enough for "ignore the rules" and long enough that words and
	// identifiers rarely qualify.
	minBase64Run = 20
	// minHexBytes is the fewest hex-encoded bytes decoded.
	minHexBytes = 10
	// maxDecode bounds the bytes decoded from one run; the prefix of a
	// longer run says whether it is text.
	maxDecode = 64 << 10
	// maxDepth bounds nesting (base64 of base64 of ...). Each level is at
	// most three quarters the size of the one above, so the total work
	// stays linear in the text.
	maxDepth = 3
)

// noBase64 marks a byte outside both base64 alphabets in base64Val.
const noBase64 = 0xff

// base64Val maps both base64 alphabets (standard and URL-safe) to their
// 6-bit values.
var base64Val = func() (t [256]uint8) {
	for i := range t {
		t[i] = noBase64
	}
	const std = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for i := range uint8(len(std)) {
		t[std[i]] = i
	}
	t['-'], t['_'] = 62, 63
	return t
}()

// payloadSink receives each encoded run that decodes to text, or to
// another encoded run (text says which). An interface rather than a func
// so that scanning does not allocate a closure.
type payloadSink interface {
	payload(decoded []byte, sig signal, text bool)
}

// decoded passes buf to fn when it is text or looks encoded again.
func decoded(buf []byte, sig signal, fn payloadSink) {
	switch {
	case isText(buf):
		fn.payload(buf, sig, true)
	case isEncoded(buf):
		fn.payload(buf, sig, false)
	}
}

// isEncoded reports a decoded payload that is itself base64 or hex.
func isEncoded(b []byte) bool {
	if len(b) < minBase64Run {
		return false
	}
	for _, c := range b {
		if base64Val[c] == noBase64 && c != '=' && c != '\\' && c != '%' && c != ' ' && c != '\n' && c != '\r' {
			return false
		}
	}
	return true
}

// findBase64 calls fn for every base64 run of text that decodes to text.
// buf is scratch space; the grown buffer is returned for reuse.
func findBase64(buf, text []byte, fn payloadSink) []byte {
	for i := 0; i < len(text); {
		if base64Val[text[i]] == noBase64 {
			i++
			continue
		}
		j := i
		for j < len(text) && base64Val[text[j]] != noBase64 {
			j++
		}
		if j-i >= minBase64Run {
			buf = decodeBase64(buf[:0], text[i:min(j, i+maxDecode*4/3)])
			decoded(buf, sigBase64, fn)
		}
		i = j
	}
	return buf
}

// decodeBase64 appends the bytes that run's complete 6-bit groups encode.
func decodeBase64(dst, run []byte) []byte {
	var acc uint32
	bits := 0
	for _, c := range run {
		acc = acc<<6 | uint32(base64Val[c])
		bits += 6
		if bits >= 8 {
			bits -= 8
			dst = append(dst, byte(acc>>bits)) //nolint:gosec // keeps the low 8 bits on purpose
		}
	}
	return dst
}

// hexStart marks the bytes an encoded byte can start with.
var hexStart = func() (t [256]bool) {
	for _, c := range []byte("0123456789abcdefABCDEF\\%") {
		t[c] = true
	}
	return t
}()

func hexVal(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c|0x20 >= 'a' && c|0x20 <= 'f':
		return c | 0x20 - 'a' + 10, true
	}
	return 0, false
}

// hexByte reads one encoded byte at text[i:]: two hex digits, optionally
// after a \x, 0x or % prefix. It returns the index after it, or -1.
func hexByte(text []byte, i int) (byte, int) {
	switch {
	case i+1 < len(text) && (text[i] == '\\' || text[i] == '0') && text[i+1]|0x20 == 'x':
		i += 2
	case i < len(text) && text[i] == '%':
		i++
	}
	if i+1 >= len(text) {
		return 0, -1
	}
	hi, ok1 := hexVal(text[i])
	lo, ok2 := hexVal(text[i+1])
	if !ok1 || !ok2 {
		return 0, -1
	}
	return hi<<4 | lo, i + 2
}

// findHex calls fn for every hex-encoded run of text that decodes to
// text: "69676e6f7265", "\x69\x67", "%69%67" or "69 67 6e".
func findHex(buf, text []byte, fn payloadSink) []byte {
	for i := 0; i < len(text); {
		// A run starts with two hex digits or a prefix, after a byte
		// that is not a letter or digit.
		if !hexStart[text[i]] || i+1 == len(text) || !hexStart[text[i+1]] && text[i+1]|0x20 != 'x' ||
			(i > 0 && isAlnumASCII(rune(text[i-1]))) {
			i++
			continue
		}
		buf = buf[:0]
		j := i
		for len(buf) < maxDecode {
			b, next := hexByte(text, j)
			if next < 0 {
				break
			}
			buf = append(buf, b)
			j = next
			if j+1 < len(text) && (text[j] == ' ' || text[j] == ',' || text[j] == ':') {
				if _, after := hexByte(text, j+1); after > 0 {
					j++
				}
			}
		}
		if len(buf) >= minHexBytes {
			decoded(buf, sigHex, fn)
		}
		i = max(j, i+1)
	}
	return buf
}

// isText reports decoded bytes that read as prose: valid UTF-8, almost
// all printable, mostly letters, with at least one space. Random bytes,
// hashes and binary formats fail; so does JSON such as a JWT header.
func isText(b []byte) bool {
	if len(b) < minHexBytes {
		return false
	}
	runes, printable, letters, spaces := 0, 0, 0, 0
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		i += size
		runes++
		switch {
		case r == utf8.RuneError && size == 1:
		case r == ' ':
			spaces++
			printable++
		case unicode.IsLetter(r):
			letters++
			printable++
		case unicode.IsPrint(r) || r == '\n' || r == '\t' || r == '\r':
			printable++
		}
	}
	return spaces > 0 && printable*100 >= runes*95 && letters*2 >= runes
}
