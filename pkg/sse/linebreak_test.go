package sse

import (
	"bytes"
	"testing"
)

// FuzzLineBreaks holds lineBreaks to bytes.IndexAny's answers, line after
// line.
func FuzzLineBreaks(f *testing.F) {
	for _, s := range []string{"", "a", "\n", "\r", "a\r\n", "ab\nc\r", "abc\rd\ne", "a\rb\rc\rd\ne\rf",
		"no break at all, but long enough to fill a vector register or two"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		lb := lineBreaks{buf: b, lf: -1}
		for from := 0; from <= len(b); {
			want := bytes.IndexAny(b[from:], "\r\n")
			if want >= 0 {
				want += from
			}
			got := lb.next(from)
			if got != want {
				t.Fatalf("%q from %d: next = %d, want %d", b, from, got, want)
			}
			if got < 0 {
				break
			}
			from = got + 1
		}
	})
}
