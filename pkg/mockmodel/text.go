package mockmodel

import (
	"strings"
	"unicode/utf8"

	"github.com/tidwall/gjson"
)

// estimateTokens approximates a BPE tokenizer: English runs about 1.3
// tokens a word, other scripts about one token per four characters. Taking
// the larger keeps both plausible.
func estimateTokens(s string) int64 {
	if s == "" {
		return 0
	}
	byWords := (int64(len(strings.Fields(s)))*13 + 5) / 10
	byRunes := (int64(utf8.RuneCountInString(s)) + 3) / 4
	return max(byWords, byRunes, 1)
}

// contentText returns the text of an OpenAI message content, which is either
// a string or an array of parts of which only "text" parts carry text.
func contentText(content gjson.Result) string {
	if !content.IsArray() {
		return content.String()
	}
	var sb strings.Builder
	content.ForEach(func(_, part gjson.Result) bool {
		if part.Get("type").String() == "text" {
			if sb.Len() > 0 {
				sb.WriteByte(' ')
			}
			sb.WriteString(part.Get("text").String())
		}
		return true
	})
	return sb.String()
}

// summarize returns at most n runes of s with whitespace runs collapsed, so
// a multi-line prompt makes a one-line reply.
func summarize(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	i, count := 0, 0
	for i < len(s) && count < n {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
		count++
	}
	return s[:i]
}

// appendString appends s as a JSON string literal. Invalid UTF-8 becomes
// U+FFFD, as encoding/json does.
func appendString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				dst = append(dst, '\\', c)
			case c == '\n':
				dst = append(dst, '\\', 'n')
			case c == '\r':
				dst = append(dst, '\\', 'r')
			case c == '\t':
				dst = append(dst, '\\', 't')
			case c < 0x20:
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				dst = append(dst, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, `\ufffd`...)
		} else {
			dst = append(dst, s[i:i+size]...)
		}
		i += size
	}
	return append(dst, '"')
}
