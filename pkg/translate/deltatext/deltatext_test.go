package deltatext

import (
	"testing"
	"unicode/utf8"

	"github.com/tidwall/gjson"
)

func TestJoinerNext(t *testing.T) {
	tests := []struct {
		name   string
		deltas []string // raw JSON strings
		want   []string // text returned after each delta, then by Flush
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
		{"not a string", []string{`12`}, []string{"12", ""}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var j Joiner
			var got []string
			for _, d := range tc.deltas {
				got = append(got, j.Next(gjson.Parse(d)))
			}
			got = append(got, j.Flush())
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

func TestIncompleteTail(t *testing.T) {
	tests := []struct{ in, head, tail string }{
		{"", "", ""},
		{"abc", "abc", ""},
		{"café", "café", ""},
		{"caf\xc3", "caf", "\xc3"},
		{"x\xe2\x82", "x", "\xe2\x82"},
		{"x\xe2\x82\xac", "x\xe2\x82\xac", ""},
		{"\xf0\x9f\x91", "", "\xf0\x9f\x91"},
		{"\xf0\x9f\x91\x8b", "\xf0\x9f\x91\x8b", ""},
		{"a\xff", "a\xff", ""},                         // can never be completed: left for U+FFFD
		{"a\x80\x80\x80\x80", "a\x80\x80\x80\x80", ""}, // stray continuations
		{"\xf8\x80", "\xf8\x80", ""},
		{"a\xe0\x80", "a\xe0\x80", ""}, // E0 needs A0–BF next: no byte completes it
		{"a\xed\xa0", "a\xed\xa0", ""}, // a UTF-16 surrogate encoded as UTF-8
		{"é\xc3", "é", "\xc3"},
	}
	for _, tc := range tests {
		cut := len(tc.in) - incompleteTail(tc.in)
		if head, tail := tc.in[:cut], tc.in[cut:]; head != tc.head || tail != tc.tail {
			t.Errorf("incompleteTail(%q) splits %q, %q; want %q, %q", tc.in, head, tail, tc.head, tc.tail)
		}
	}
}

// Cutting valid text anywhere and feeding the pieces as deltas must give
// back the text with no character broken.
func TestJoinerNextTextRejoins(t *testing.T) {
	text := "a é 中 👋 z"
	for i := 0; i <= len(text); i++ {
		var j Joiner
		head := j.NextText(text[:i])
		if !utf8.ValidString(head) {
			t.Fatalf("cut at %d: head %q is not valid UTF-8", i, head)
		}
		rest := j.NextText(text[i:])
		if !utf8.ValidString(rest) {
			t.Fatalf("cut at %d: rest %q is not valid UTF-8", i, rest)
		}
		if head+rest+j.Flush() != text {
			t.Fatalf("cut at %d lost bytes", i)
		}
	}
}

func TestJoinerFlushBrokenSequence(t *testing.T) {
	var j Joiner
	if got := j.NextText("ok\xf0\x9f"); got != "ok" {
		t.Fatalf("NextText = %q", got)
	}
	if got := j.Flush(); got != "\uFFFD" {
		t.Fatalf("Flush = %q, want one U+FFFD", got)
	}
	if got := j.Flush(); got != "" {
		t.Fatalf("second Flush = %q", got)
	}
}
