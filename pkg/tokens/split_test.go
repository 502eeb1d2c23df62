package tokens

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// Counts published in OpenAI's cookbook ("How to count tokens with
// tiktoken") for cl100k_base.
func TestCountCookbook(t *testing.T) {
	tests := []struct {
		text string
		want int
	}{
		{"tiktoken is great!", 6},
		{"antidisestablishmentarianism", 6},
		{"2 + 2 = 4", 7},
		{"お誕生日おめでとう", 9},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			got, err := CL100k.Count(tt.text)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("CL100k.Count(%q) = %d, want %d", tt.text, got, tt.want)
			}
		})
	}
}

// splitCases exercise each alternative of both pre-token patterns.
var splitCases = []string{
	"",
	"Hello, world!",
	"  leading and trailing spaces  ",
	"tabs\tand\r\nCRLF\n\n\nnewlines \n  indented",
	"HELLOworld HelloWorld camelCaseWord snake_case_word XMLHttpRequest",
	"DON'T don't I'LL we'Re they'VE it's 'tis O'Neil rock'n'roll",
	"numbers 1 12 123 1234 12345 3.14159 1,000,000 ١٢٣ ½",
	"path/to/file.go, a/b\n/c //comment\r\n/",
	"punctuation!!! ??? ... --- ((nested)) {\"json\": [1, 2]}",
	"Zürich, ça va? naïve café Ωμέγα Привет мир",
	"日本語のテキストです。漢字とカタカナ、ひらがな。",
	"한국어 텍스트와 العربية والفارسی עברית",
	"e\u0301 combining a\u0308\u0301 marks \u0301alone",
	"ǅungla ǈudevit ǋenan titlecase ᾈ",
	"emoji 🌊🌊 👩‍👩‍👧 flags 🇨🇭 ✓",
	"\u00a0nbsp\u2003em space\u3000ideographic\u2028line",
	"<|endoftext|> special token text <|im_start|>",
	strings.Repeat("a", 300),
	strings.Repeat("ab", 200) + strings.Repeat("!?", 150),
	strings.Repeat("🌊", 80),
	strings.Repeat(" ", 70) + "x",
	strings.Repeat("\n", 70),
}

// TestCountMatchesReference compares the scanners and merges with
// tiktoken-go on edge cases and on a long mixed corpus.
func TestCountMatchesReference(t *testing.T) {
	cases := append([]string{corpus(20000)}, splitCases...)
	for _, e := range []Encoding{O200k, CL100k} {
		for i, s := range cases {
			got, err := e.Count(s)
			if err != nil {
				t.Fatal(err)
			}
			if want := referenceCount(t, e, s); got != want {
				t.Errorf("%s: case %d %.40q: got %d tokens, want %d", e, i, s, got, want)
			}
		}
	}
}

// TestSplitParallel checks that sharing long texts across cores, cut
// into chunks, gives the sequential count.
func TestSplitParallel(t *testing.T) {
	text := corpus(60000)
	for _, e := range []Encoding{O200k, CL100k} {
		r, err := e.table()
		if err != nil {
			t.Fatal(err)
		}
		seq := r.countText(e, text)
		p := r.pipeline(e)
		p.add(text[:1000])
		p.add(text[1000:])
		if par := p.finish(); par != seq {
			t.Errorf("%s: parallel count %d, sequential %d", e, par, seq)
		}
	}
}

func FuzzCount(f *testing.F) {
	for _, s := range splitCases {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			t.Skip("the reference counts U+FFFD for invalid bytes; the API never sees them")
		}
		for _, e := range []Encoding{O200k, CL100k} {
			got, err := e.Count(s)
			if err != nil {
				t.Fatal(err)
			}
			if want := referenceCount(t, e, s); got != want {
				t.Errorf("%s %q: got %d tokens, want %d", e, s, got, want)
			}
		}
	})
}
