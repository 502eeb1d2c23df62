package sse

import (
	"bytes"
	"testing"
)

// FuzzLineBreak holds lineBreak to bytes.IndexAny's answer.
func FuzzLineBreak(f *testing.F) {
	for _, s := range []string{"", "a", "\n", "\r", "a\r\n", "ab\nc\r", "abc\rd\ne", "no break at all, but long enough to fill a vector register or two"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := lineBreak(b), bytes.IndexAny(b, "\r\n"); got != want {
			t.Fatalf("lineBreak(%q) = %d, want %d", b, got, want)
		}
	})
}
