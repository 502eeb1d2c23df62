// Package rawjson writes JSON by appending to a byte slice, for translators
// that build provider and client bodies without decoding anything into
// structs: quoted strings, integers, object keys, compacted values, and the
// role-grouped message lists that Gemini and Converse want. Sluice's other
// hand-built JSON (audit records, edited request text, rendered templates)
// encodes its strings here too. Values copied
// from a validated input keep their raw encoding; only strings a translator
// composes or decodes pass through AppendString.
//
// It also checks and walks bodies on the request's hot path: Valid judges
// JSON exactly as gjson.ValidBytes does, several times faster, and Members
// and Lookup check a body and read its top-level members in the same
// pass. Each, EachElement and Field then walk what those found, with
// gjson's results.
package rawjson

import (
	"strconv"
	"unicode/utf8"
)

const hexDigits = "0123456789abcdef"

// AppendString appends s as a JSON string. Bytes that are not valid UTF-8
// become the escape \ufffd (U+FFFD), so the output is valid JSON whatever
// bytes a provider or client sent; U+2028 and U+2029 are escaped too.
func AppendString(dst []byte, s string) []byte {
	return append(appendEscaped(append(dst, '"'), s), '"')
}

// AppendCompactString appends the valid JSON raw, compacted as Compact
// does, as a JSON string: what AppendString(dst, string(Compact(nil, raw)))
// writes, without the copy in between.
func AppendCompactString(dst []byte, raw string) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(raw); {
		start, end := nextRun(raw, i)
		dst = appendEscaped(dst, raw[start:end])
		i = end
	}
	return append(dst, '"')
}

// appendEscaped appends the contents of a JSON string holding s.
func appendEscaped(dst []byte, s string) []byte {
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			// Valid JSON, but line ends to JavaScript: escaped so that an
			// audit line or SSE event can be embedded in a script as is.
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	return append(dst, s[start:]...)
}

// AppendInt appends n in decimal.
func AppendInt(dst []byte, n int64) []byte { return strconv.AppendInt(dst, n, 10) }

// AppendKey appends `"key":`, after a comma unless *first says the object
// has no members yet. Keys are literals that need no escaping.
func AppendKey(dst []byte, first *bool, key string) []byte {
	if !*first {
		dst = append(dst, ',')
	}
	*first = false
	dst = append(dst, '"')
	dst = append(dst, key...)
	return append(dst, '"', ':')
}

// Compact appends the valid JSON raw without insignificant white space;
// providers may pretty-print what they send.
func Compact(dst []byte, raw string) []byte {
	for i := 0; i < len(raw); {
		start, end := nextRun(raw, i)
		dst = append(dst, raw[start:end]...)
		i = end
	}
	return dst
}

// nextRun skips the white space outside strings at raw[i:] and returns the
// run of raw that follows, up to the next such white space or the end.
func nextRun(raw string, i int) (start, end int) {
	for i < len(raw) && isSpace(raw[i]) {
		i++
	}
	start = i
	inString := false
	for ; i < len(raw); i++ {
		c := raw[i]
		if inString {
			switch {
			case c == '\\' && i+1 < len(raw):
				i++ // the escaped byte, which may be a quote
			case c == '"':
				inString = false
			}
			continue
		}
		if isSpace(c) {
			break
		}
		if c == '"' {
			inString = true
		}
	}
	return start, i
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// IsEmpty reports whether the valid JSON raw is "{}" or "[]", with any white
// space inside.
func IsEmpty(raw string) bool {
	if len(raw) < 2 {
		return false
	}
	for i := 1; i < len(raw)-1; i++ {
		if !isSpace(raw[i]) {
			return false
		}
	}
	return true
}
