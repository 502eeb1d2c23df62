package anthropic

import (
	"strconv"
	"unicode/utf8"
)

// The translation builds JSON by appending to a byte slice. Values copied
// from the validated input keep their raw encoding; only strings Sluice
// composes are encoded here.

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string. Invalid UTF-8 becomes U+FFFD so
// the output is always valid JSON, whatever bytes a provider sent.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r != utf8.RuneError || size != 1 {
				i += size
				continue
			}
			dst = append(dst, s[start:i]...)
			dst = append(dst, "\uFFFD"...)
			i++
			start = i
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
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// sep appends the comma that separates members or elements, unless dst is
// at the start of an object, an array or a value.
func sep(dst []byte) []byte {
	if n := len(dst); n > 0 {
		switch dst[n-1] {
		case '{', '[', ':':
			return dst
		}
		return append(dst, ',')
	}
	return dst
}

// key appends `"k":` preceded by a separator when needed. Keys are literals
// without characters that need escaping.
func key(dst []byte, k string) []byte {
	dst = sep(dst)
	dst = append(dst, '"')
	dst = append(dst, k...)
	return append(dst, '"', ':')
}

// str appends a member whose value is a composed string.
func str(dst []byte, k, v string) []byte { return appendString(key(dst, k), v) }

// raw appends a member whose value is already-encoded JSON.
func raw(dst []byte, k, v string) []byte { return append(key(dst, k), v...) }

// num appends an integer member.
func num(dst []byte, k string, v int64) []byte { return strconv.AppendInt(key(dst, k), v, 10) }
