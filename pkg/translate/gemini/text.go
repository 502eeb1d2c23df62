package gemini

import (
	"strings"
	"unicode/utf8"

	"github.com/tidwall/gjson"
)

// textJoiner decodes successive JSON string deltas of one text stream and
// holds back a character that a delta cut in half: either trailing bytes of
// an incomplete UTF-8 sequence or a trailing UTF-16 high-surrogate escape
// (`\ud83d`) whose low half arrives in the next delta. Emitting either half
// on its own would put U+FFFD or invalid UTF-8 in front of the client.
type textJoiner struct {
	esc  string // raw `\uD8xx` escape awaiting its low surrogate
	part []byte // leading bytes of an incomplete UTF-8 sequence
}

// next decodes the raw JSON string r and returns the text safe to emit now.
func (j *textJoiner) next(r gjson.Result) string {
	if r.Type != gjson.String || len(r.Raw) < 2 {
		return r.String()
	}
	inner := r.Raw[1 : len(r.Raw)-1]
	if j.esc != "" {
		inner = j.esc + inner
		j.esc = ""
	}
	if n := trailingHighSurrogate(inner); n > 0 {
		j.esc = inner[len(inner)-n:]
		inner = inner[:len(inner)-n]
	}
	s := inner
	if strings.IndexByte(inner, '\\') >= 0 {
		s = gjson.Parse(`"` + inner + `"`).Str
	}
	if len(j.part) > 0 {
		s = string(j.part) + s
		j.part = j.part[:0]
	}
	if cut := incompleteTail(s); cut > 0 {
		j.part = append(j.part, s[len(s)-cut:]...)
		s = s[:len(s)-cut]
	}
	return s
}

// flush ends the text stream. Anything still held back can never become a
// whole character, so it is reported as one replacement character.
func (j *textJoiner) flush() string {
	if j.esc == "" && len(j.part) == 0 {
		return ""
	}
	j.esc, j.part = "", j.part[:0]
	return "\uFFFD"
}

// trailingHighSurrogate returns 6 if s ends with an unescaped `\uD800`–`\uDBFF`.
func trailingHighSurrogate(s string) int {
	n := len(s)
	if n < 6 || s[n-6] != '\\' || (s[n-5] != 'u' && s[n-5] != 'U') {
		return 0
	}
	v := 0
	for _, c := range []byte(s[n-4:]) {
		d := strings.IndexByte(hexDigits, lower(c))
		if d < 0 {
			return 0
		}
		v = v<<4 | d
	}
	if v < 0xD800 || v > 0xDBFF {
		return 0
	}
	// The backslash must itself be unescaped: an even run of backslashes before it.
	k := 0
	for i := n - 7; i >= 0 && s[i] == '\\'; i-- {
		k++
	}
	if k%2 == 1 {
		return 0
	}
	return 6
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// incompleteTail returns how many trailing bytes of s start a valid UTF-8
// sequence that is not yet complete.
func incompleteTail(s string) int {
	for i := len(s) - 1; i >= 0 && i >= len(s)-utf8.UTFMax+1; i-- {
		c := s[i]
		if c < utf8.RuneSelf {
			return 0
		}
		if utf8.RuneStart(c) {
			if !utf8.FullRuneInString(s[i:]) {
				return len(s) - i
			}
			return 0
		}
	}
	return 0
}
