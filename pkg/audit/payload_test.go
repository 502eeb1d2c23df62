package audit

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestMask(t *testing.T) {
	m, err := newMasker()
	if err != nil {
		t.Fatal(err)
	}
	const text = `{"content":"write to jane.doe@example.com about héllo"}`
	for _, tc := range []struct {
		name      string
		text      string
		limit     int
		want      string
		truncated bool
	}{
		{"masked", text, 1000, `{"content":"write to <EMAIL_ADDRESS> about héllo"}`, false},
		{"cut before the entity", text, 25, `{"content":"write to `, true},
		{"cut inside the placeholder", text, 30, `{"content":"write to `, true},
		{"cut after the placeholder", text, 41, `{"content":"write to <EMAIL_ADDRESS> abou`, true},
		{"cut inside a character", text, 45, `{"content":"write to <EMAIL_ADDRESS> about h`, true},
		{"nothing to mask", "plain text", 5, "plain", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, truncated := m.mask([]byte(tc.text), tc.limit)
			if got != tc.want || truncated != tc.truncated {
				t.Errorf("mask(%q, %d) = %q, %v; want %q, %v", tc.text, tc.limit, got, truncated, tc.want, tc.truncated)
			}
			if len(got) > tc.limit || !utf8.ValidString(got) || strings.Contains(got, "jane") {
				t.Errorf("mask gave %q: over the limit, broken UTF-8 or leaking", got)
			}
		})
	}
}

func FuzzMask(f *testing.F) {
	m, err := newMasker()
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte("mail a@b.co now"), 8)
	f.Add([]byte("日本語 4111 1111 1111 1111"), 5)
	f.Fuzz(func(t *testing.T, text []byte, limit int) {
		limit = max(0, limit%4096)
		got, _ := m.mask(text, limit)
		if len(got) > limit {
			t.Fatalf("mask gave %d bytes over the limit %d", len(got), limit)
		}
	})
}
