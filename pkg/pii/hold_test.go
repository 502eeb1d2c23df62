package pii

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// checkHold verifies what a stream redactor relies on, for text[:k] and the
// longer text: with cut = k - Hold(text[:k]),
//
//  1. Hold is within [0, min(k, MaxHold)];
//  2. the findings of Scan(text[:k]) that end at or before cut are exactly
//     the findings of Scan(text) that end at or before cut (type, span and
//     score), so what is released redacted is redacted as the whole text
//     would have it;
//  3. no finding of Scan(text) starts before cut and ends after it, so the
//     released text never carries part of an entity;
//  4. scanning on from cut finds the rest: every byte of every finding of
//     Scan(text) that starts at or after cut is inside a finding of
//     Scan(text[cut:]), shifted.
func checkHold(t *testing.T, s *Scanner, text []byte, k int) {
	t.Helper()
	h := s.Hold(text[:k])
	if h < 0 || h > k || h > s.MaxHold() {
		t.Fatalf("Hold(text[:%d]) = %d, out of range; text %q", k, h, text)
	}
	cut := k - h
	full := s.Scan(nil, text)
	prefix := s.Scan(nil, text[:k])
	var want, got []Finding
	for _, f := range full {
		if f.End <= cut {
			want = append(want, f)
		}
		if f.Start < cut && f.End > cut {
			t.Fatalf("cut %d (k=%d, hold %d) splits %s %q\ntext %q", cut, k, h, f.Type, text[f.Start:f.End], text)
		}
	}
	for _, f := range prefix {
		if f.End <= cut {
			got = append(got, f)
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("cut %d (k=%d, hold %d): final findings of the prefix\n%v\nwant (from the whole text)\n%v\ntext %q", cut, k, h, got, want, text)
	}
	rest := s.Scan(nil, text[cut:])
	for _, f := range full {
		if f.Start < cut {
			continue
		}
		// Covered byte by byte: a rescan that starts mid-way may redact a
		// little more or under another type, but never less.
		for b := f.Start; b < f.End; b++ {
			covered := false
			for _, r := range rest {
				covered = covered || r.Start+cut <= b && b < r.End+cut
			}
			if !covered {
				t.Fatalf("cut %d (k=%d): rescanning from the cut leaves byte %d of %s %q\ntext %q", cut, k, b, f.Type, text[f.Start:f.End], text)
			}
		}
	}
}

// holdTexts are corpus sentences joined in twos and threes with separators
// that glue entities together, plus random text from the characters
// entities are made of.
func holdTexts(t testing.TB, n int) [][]byte {
	corpus := loadCorpus(t)
	r := rand.New(rand.NewPCG(7, 11))
	seps := []string{" ", "", "\n", ", ", "-", ".", "(", "=", ":", "@", "+"}
	var out [][]byte
	for range n {
		var b strings.Builder
		for j := range 1 + r.IntN(3) {
			if j > 0 {
				b.WriteString(seps[r.IntN(len(seps))])
			}
			b.WriteString(corpus[r.IntN(len(corpus))].Text)
		}
		out = append(out, []byte(b.String()))
	}
	const alphabet = "0123456789  --..++(()@@::==\"'abcdefABCDEFxz_/\n#"
	for range n / 4 {
		b := make([]byte, 20+r.IntN(60))
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		out = append(out, b)
	}
	return out
}

func TestHoldEverySplit(t *testing.T) {
	s := mustNew(t, Config{})
	n := 400 / raceScale
	if testing.Short() {
		n = 60
	}
	for _, text := range holdTexts(t, n) {
		for k := 0; k <= len(text); k++ {
			checkHold(t, s, text, k)
		}
	}
}

// TestHoldChallenge checks every split of the hand-written texts, whose
// layouts (CSV rows, signatures, log lines) the corpus does not have.
func TestHoldChallenge(t *testing.T) {
	s := mustNew(t, Config{})
	for _, ex := range readCorpusFile(t, "testdata/challenge.jsonl") {
		text := []byte(ex.Text)
		for k := 0; k <= len(text); k += raceScale {
			checkHold(t, s, text, k)
		}
	}
}

func TestHoldCustom(t *testing.T) {
	s := mustNew(t, Config{Custom: []CustomDetector{
		{Type: "EMPLOYEE_ID", Patterns: []string{`\bEMP-\d{6}\b`}},
		{Type: "PROJECT", Phrases: []string{"project falcon", "blue harbor"}, CaseInsensitive: true},
	}})
	for _, text := range []string{
		"staff EMP-123456 works on Project Falcon with anna@example.com",
		"Blue Harbor, EMP-654321, call +44 20 7946 0958 or (415) 555-0132.",
		strings.Repeat("x", 300) + " EMP-000001 " + strings.Repeat("y ", 200) + "project falcon",
	} {
		for k := 0; k <= len(text); k++ {
			checkHold(t, s, []byte(text), k)
		}
	}
}

func TestHoldLongTokens(t *testing.T) {
	s := mustNew(t, Config{})
	pemKey := "-----BEGIN PRIVATE KEY-----\n" + strings.Repeat("QUJD", 800) + "\n-----END PRIVATE KEY-----"
	for _, text := range []string{
		strings.Repeat("a", 10000) + ".eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln",
		"key: " + pemKey + " done",
		"-----BEGIN RSA PRIVATE KEY-----\n" + strings.Repeat("QUJD", 3000) + " trailing",
		strings.Repeat("1 ", 6000) + "4111 1111 1111 1111",
	} {
		b := []byte(text)
		for k := 0; k <= len(b); k += 1 + k%(97*raceScale) {
			checkHold(t, s, b, k)
		}
		checkHold(t, s, b, len(b))
	}
}

func TestHoldExamples(t *testing.T) {
	s := mustNew(t, Config{})
	for _, tc := range []struct{ text, held string }{
		{"Hello world. ", ""},
		{"Hello world", "world"},
		{"mail me at anna@exam", "anna@exam"},
		{"call (415) 555", "call (415) 555"},
		{"password = ", "password = "},
		{"done.\n", ""},
	} {
		h := s.Hold([]byte(tc.text))
		if got := tc.text[len(tc.text)-h:]; got != tc.held {
			t.Errorf("Hold(%q) holds %q, want %q", tc.text, got, tc.held)
		}
	}
}

func mustNew(t testing.TB, cfg Config) *Scanner {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
