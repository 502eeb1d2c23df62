package rawjson

import (
	"encoding/binary"
	"math/bits"
)

// Valid reports whether b is one JSON value with nothing but white space
// around it. Its verdict is gjson.ValidBytes's, byte for byte: strings may
// hold any byte from 0x20 up, so invalid UTF-8 passes, as it does there.
//
// It is faster than gjson's validator for two reasons. Strings, most of a
// chat body, are scanned eight bytes at a time. Nesting is tracked on an
// explicit stack rather than by recursion, so a deeply nested body costs
// a byte of stack per level instead of a call frame.
func Valid(b []byte) bool {
	i := skipSpace(b, 0)
	end, ok := skipValue(b, i)
	return ok && skipSpace(b, end) == len(b)
}

// Eight-byte lanes for the string scan.
const (
	lanes01   = 0x0101010101010101
	lanes80   = 0x8080808080808080
	lanesQuot = lanes01 * '"'
	lanesBack = lanes01 * '\\'
	lanesCtl  = lanes01 * 0x20
)

// special flags, in bit 7 of each byte, the bytes of w that end a run of
// plain string content: '"', '\\' and controls below 0x20. Bits above the
// lowest one may be false alarms (a borrow carries into the next byte);
// the lowest one never is.
func special(w uint64) uint64 {
	q, s := w^lanesQuot, w^lanesBack
	return ((q - lanes01) &^ q & lanes80) | ((s - lanes01) &^ s & lanes80) | ((w - lanesCtl) &^ w & lanes80)
}

// skipPlain returns the index of the first byte from b[i] on that is not
// plain string content, or one of the last seven bytes of b.
func skipPlain(b []byte, i int) int {
	for i+8 <= len(b) {
		if m := special(binary.LittleEndian.Uint64(b[i:])); m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
		i += 8
	}
	return i
}

// ScanString checks the JSON string whose opening quote is at b[i-1]: it
// returns the index just past its closing quote, whether it holds an
// escape (so a caller can take b[i:end-1] as the text itself when it does
// not), and whether it is a well-formed string: closed, with no control
// byte and no malformed escape. When ok is false end is where the string
// went wrong. Contents are scanned eight bytes at a time, which is what
// makes this worth calling over a byte loop on the long strings of a chat
// body.
func ScanString(b []byte, i int) (end int, escaped, ok bool) {
	return skipString(b, i)
}

// skipString returns the index after the string whose contents start at
// b[i] (the opening quote is before i), and whether it holds an escape.
func skipString(b []byte, i int) (end int, escaped, ok bool) {
	for {
		i = skipPlain(b, i)
		if i >= len(b) {
			return i, escaped, false
		}
		switch c := b[i]; {
		case c == '"':
			return i + 1, escaped, true
		case c < ' ':
			return i, escaped, false
		case c == '\\':
			escaped = true
			if i, ok = skipEscape(b, i+1); !ok {
				return i, escaped, false
			}
		default:
			i++
		}
	}
}

// skipEscape checks the escape whose letter is at b[i].
func skipEscape(b []byte, i int) (int, bool) {
	if i >= len(b) {
		return i, false
	}
	switch b[i] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return i + 1, true
	case 'u':
		for range 4 {
			i++
			if i >= len(b) || !isHex(b[i]) {
				return i, false
			}
		}
		return i + 1, true
	}
	return i, false
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

// skipNumber returns the index after the number starting at b[i].
func skipNumber(b []byte, i int) (int, bool) {
	if b[i] == '-' {
		i++
	}
	if i >= len(b) || !isDigit(b[i]) {
		return i, false
	}
	if b[i] == '0' {
		i++
	} else {
		i = skipDigits(b, i)
	}
	if i < len(b) && b[i] == '.' {
		if i++; i >= len(b) || !isDigit(b[i]) {
			return i, false
		}
		i = skipDigits(b, i)
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		if i++; i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || !isDigit(b[i]) {
			return i, false
		}
		i = skipDigits(b, i)
	}
	return i, true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func skipDigits(b []byte, i int) int {
	for i < len(b) && isDigit(b[i]) {
		i++
	}
	return i
}

// skipLiteral returns the index after lit, which b[i:] must start with.
func skipLiteral(b []byte, i int, lit string) (int, bool) {
	if len(b)-i < len(lit) || string(b[i:i+len(lit)]) != lit {
		return i, false
	}
	return i + len(lit), true
}
