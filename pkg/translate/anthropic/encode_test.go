package anthropic

import (
	"encoding/json"
	"testing"
	"unicode/utf8"
)

func TestAppendString(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", `""`},
		{"plain", `"plain"`},
		{"q\"b\\s/", `"q\"b\\s/"`},
		{"\n\r\t\x00\x1f", `"\n\r\t\u0000\u001f"`},
		{"<&> é 👋", `"<&> é 👋"`},
		{"bad \xff byte", "\"bad \uFFFD byte\""},
		{"cut \xe2\x82", "\"cut \uFFFD\uFFFD\""},
	}
	for _, tc := range tests {
		got := string(appendString(nil, tc.in))
		if got != tc.want {
			t.Errorf("appendString(%q) = %s, want %s", tc.in, got, tc.want)
		}
		var back string
		if err := json.Unmarshal([]byte(got), &back); err != nil {
			t.Errorf("appendString(%q) is not JSON: %v", tc.in, err)
		}
	}
}

func FuzzAppendString(f *testing.F) {
	f.Add("héllo \x00 \xff \"")
	f.Fuzz(func(t *testing.T, s string) {
		out := appendString(nil, s)
		var back string
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("%q encoded as invalid JSON %q: %v", s, out, err)
		}
		if utf8.ValidString(s) && back != s {
			t.Fatalf("round trip %q != %q", back, s)
		}
	})
}

func TestSplitRune(t *testing.T) {
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
		{"é\xc3", "é", "\xc3"},
	}
	for _, tc := range tests {
		head, tail := splitRune(tc.in)
		if head != tc.head || tail != tc.tail {
			t.Errorf("splitRune(%q) = %q, %q; want %q, %q", tc.in, head, tail, tc.head, tc.tail)
		}
		bh, bt := splitRune([]byte(tc.in))
		if string(bh) != tc.head || string(bt) != tc.tail {
			t.Errorf("splitRune([]byte(%q)) differs from the string form", tc.in)
		}
	}
}

// Splitting valid text anywhere and joining each held tail with the next
// piece must give back the text with no rune broken.
func TestSplitRuneRejoins(t *testing.T) {
	text := "a é 中 👋 z"
	for i := 0; i <= len(text); i++ {
		head, tail := splitRune(text[:i])
		if !utf8.ValidString(head) {
			t.Fatalf("cut at %d: head %q is not valid UTF-8", i, head)
		}
		if head+tail+text[i:] != text {
			t.Fatalf("cut at %d lost bytes", i)
		}
		if rest := tail + text[i:]; !utf8.ValidString(rest) {
			t.Fatalf("cut at %d: rest %q is not valid UTF-8", i, rest)
		}
	}
}
