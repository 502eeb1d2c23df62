package rawjson

import (
	"strings"
	"unicode/utf16"
)

// String is the text of the JSON string literal raw, quotes included, as
// gjson reads it: gjson.Parse(raw).Str for every valid literal, lone
// surrogates and all (FuzzString holds it to that). Text without escapes
// is returned in place. Otherwise the runs between escapes are copied
// whole into one allocation, where gjson appends byte by byte into a
// buffer and copies that again.
func String(raw string) string {
	if len(raw) < 2 {
		return ""
	}
	return Unescape(raw[1 : len(raw)-1])
}

// Unescape is String of the literal whose body, between the quotes, is
// body.
func Unescape(body string) string {
	i := strings.IndexByte(body, '\\')
	if i < 0 {
		return body
	}
	var sb strings.Builder
	sb.Grow(len(body))
	for ; i >= 0; i = strings.IndexByte(body, '\\') {
		sb.WriteString(body[:i])
		body = body[i:]
		if len(body) < 2 {
			return sb.String()
		}
		c := body[1]
		body = body[2:]
		switch c {
		case '"', '\\', '/':
			sb.WriteByte(c)
		case 'b':
			sb.WriteByte('\b')
		case 'f':
			sb.WriteByte('\f')
		case 'n':
			sb.WriteByte('\n')
		case 'r':
			sb.WriteByte('\r')
		case 't':
			sb.WriteByte('\t')
		case 'u':
			if len(body) < 4 {
				return sb.String()
			}
			r := hex4(body)
			body = body[4:]
			// A surrogate takes the escape after it, whatever that is,
			// as gjson does: a pair decodes to its rune, anything else
			// to U+FFFD.
			if utf16.IsSurrogate(r) && len(body) >= 6 && body[0] == '\\' && body[1] == 'u' {
				r = utf16.DecodeRune(r, hex4(body[2:]))
				body = body[6:]
			}
			sb.WriteRune(r)
		default:
			return sb.String()
		}
	}
	sb.WriteString(body)
	return sb.String()
}

// hex4 is the value of the four hex digits s starts with, or 0 when they
// are not all hex digits, as gjson reads them.
func hex4(s string) rune {
	var r rune
	for i := range 4 {
		c := s[i]
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0
		}
		r = r<<4 | rune(c)
	}
	return r
}
