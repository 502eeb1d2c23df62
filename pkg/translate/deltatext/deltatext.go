// Package deltatext joins the text deltas of a provider stream without
// breaking a character that a delta cut in half. Providers stream text and
// tool arguments as a run of JSON strings; a delta may end inside a UTF-8
// sequence (raw bytes from a misbehaving upstream) or between the two
// halves of a UTF-16 surrogate escape (`\ud83d` here, `\ude00` in the next
// event). Sent on its own, either half would reach the client as U+FFFD or
// as invalid UTF-8, so a Joiner holds it back until the next delta
// completes it, or until the text ends, when it becomes one U+FFFD.
package deltatext

import (
	"unicode/utf8"

	"github.com/tidwall/gjson"

	"github.com/sluice-gw/sluice/pkg/translate/rawjson"
)

// Joiner holds back the unfinished character at the end of one text's
// deltas. The zero value is ready to use; use one Joiner per text (per
// content block, choice or tool call).
type Joiner struct {
	esc  string // raw `\uD8xx` escape awaiting its low surrogate
	part []byte // leading bytes of an incomplete UTF-8 sequence
}

// Next decodes the JSON string delta r and returns the text safe to send
// now. A value that is not a JSON string is returned as gjson renders it.
func (j *Joiner) Next(r gjson.Result) string {
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
	return j.NextText(rawjson.Unescape(inner))
}

// NextText takes a delta that is already decoded text and returns the
// text safe to send now.
func (j *Joiner) NextText(s string) string {
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

// Flush ends the text. Anything still held back can never become a whole
// character, so it is reported as one replacement character.
func (j *Joiner) Flush() string {
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
		d := hexValue(c)
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

func hexValue(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// incompleteTail returns how many trailing bytes of s begin a UTF-8
// sequence that more bytes could still complete. Bytes no continuation
// could complete (a stray continuation byte, 0xFF, "\xe0\x80") are left for
// the JSON encoder to replace.
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
