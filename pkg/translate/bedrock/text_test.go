package bedrock

import (
	"testing"
	"unicode/utf8"

	"github.com/tidwall/gjson"
)

func TestTextJoiner(t *testing.T) {
	tests := []struct {
		name   string
		deltas []string // raw JSON strings
		want   []string // text emitted after each delta, then after flush
	}{
		{"plain", []string{`"ab"`, `"c"`}, []string{"ab", "c", ""}},
		{"surrogate split", []string{`"x\ud83d"`, `"\ude00y"`}, []string{"x", "😀y", ""}},
		{"upper hex surrogate", []string{`"\uD83D"`, `"\uDE00"`}, []string{"", "😀", ""}},
		{"escaped backslash is not an escape", []string{`"a\\ud83d"`}, []string{`a\ud83d`, ""}},
		{"double escaped backslash then escape", []string{`"\\\ud83d"`, `"\ude00"`}, []string{`\`, "😀", ""}},
		{"low surrogate alone", []string{`"\ude00"`}, []string{"\uFFFD", ""}},
		{"dangling high surrogate", []string{`"a\ud83d"`}, []string{"a", "\uFFFD"}},
		{"utf8 split 2+1", []string{"\"\xe2\x82\"", "\"\xac\""}, []string{"", "€", ""}},
		{"utf8 split 1+1+1+1", []string{"\"\xf0\"", "\"\x9f\"", "\"\x98\"", "\"\x80!\""}, []string{"", "", "", "😀!", ""}},
		{"utf8 dangling", []string{"\"ok\xe4\xb8\""}, []string{"ok", "\uFFFD"}},
		{"invalid byte passes to encoder", []string{"\"a\xffb\""}, []string{"a\xffb", ""}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var j textJoiner
			var got []string
			for _, d := range tc.deltas {
				got = append(got, j.next(gjson.Parse(d)))
			}
			got = append(got, j.flush())
			if len(got) != len(tc.want) {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("step %d: got %q, want %q", i, got[i], tc.want[i])
				}
			}
		})
	}
}

func TestAppendStringValidUTF8(t *testing.T) {
	for _, s := range []string{"a\xffb", "\xe2\x82", "ok\x00\x1f\"\\\n\r\t", "日本語 😀"} {
		out := appendString(nil, s)
		if !utf8.Valid(out) || !gjson.ValidBytes(out) {
			t.Errorf("appendString(%q) = %q: not valid UTF-8 JSON", s, out)
		}
		if utf8.ValidString(s) && gjson.ParseBytes(out).Str != s {
			t.Errorf("appendString(%q) does not round-trip: %q", s, out)
		}
	}
}
