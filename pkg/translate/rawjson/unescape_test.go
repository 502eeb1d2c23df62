package rawjson

import (
	"encoding/json"
	"strings"
	"testing"
	"unsafe"

	"github.com/tidwall/gjson"
)

var stringCases = []struct{ raw, want string }{
	{`""`, ""},
	{`"plain"`, "plain"},
	{`"a\nb"`, "a\nb"},
	{`"\"quoted\" \\ \/ \b\f\n\r\t"`, "\"quoted\" \\ / \b\f\n\r\t"},
	{`"caf\u00e9"`, "café"},
	{`"\u00E9\u00e9"`, "éé"},
	{`"\ud83d\ude00 smile"`, "😀 smile"},
	{`"\ud83d"`, "\uFFFD"},         // a lone high surrogate
	{`"\ude00x"`, "\uFFFDx"},       // a lone low surrogate
	{`"\ud83d\u0041B"`, "\uFFFDB"}, // gjson takes the next escape with a surrogate
	{`"\ud83d\\n"`, "\uFFFD\\n"},   // but only a \u escape
	{`"tail\\"`, "tail\\"},         // an escape at the very end
	{`"日本\n語"`, "日本\n語"},           // UTF-8 runs copied whole
	{`"` + strings.Repeat(`ab\n`, 500) + `"`, strings.Repeat("ab\n", 500)},
}

func TestString(t *testing.T) {
	for _, tc := range stringCases {
		if !gjson.Valid(tc.raw) {
			t.Fatalf("case %q is not valid JSON", tc.raw)
		}
		if got := String(tc.raw); got != tc.want {
			t.Errorf("String(%q) = %q, want %q", tc.raw, got, tc.want)
		}
		if g := gjson.Parse(tc.raw).Str; g != tc.want {
			t.Errorf("gjson reads %q as %q, the case expects %q", tc.raw, g, tc.want)
		}
	}
}

func TestStringWithoutEscapesIsInPlace(t *testing.T) {
	raw := `"no escapes here"`
	got := String(raw)
	if got != raw[1:len(raw)-1] || unsafe.StringData(got) != unsafe.StringData(raw[1:]) {
		t.Fatalf("String(%q) = %q, not the literal's own bytes", raw, got)
	}
	if n := testing.AllocsPerRun(100, func() { _ = String(raw) }); n != 0 {
		t.Errorf("a literal without escapes: %v allocations, want 0", n)
	}
	if n := testing.AllocsPerRun(100, func() { _ = String(`"a\nb\u00e9c"`) }); n != 1 {
		t.Errorf("a literal with escapes: %v allocations, want 1", n)
	}
}

// FuzzString holds String to gjson's reading of every valid literal,
// whether it comes as raw bytes or as Go's own encoding of a string.
func FuzzString(f *testing.F) {
	for _, tc := range stringCases {
		f.Add(tc.raw)
	}
	f.Add(`"\u12`)
	f.Add(`"\uD800\uDC00"`)
	f.Fuzz(func(t *testing.T, s string) {
		check := func(raw string) {
			// Sluice hands String a value's exact bytes, never
			// whitespace around them.
			if !gjson.Valid(raw) || len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
				return
			}
			if got, want := String(raw), gjson.Parse(raw).Str; got != want {
				t.Fatalf("String(%q) = %q, gjson reads %q", raw, got, want)
			}
		}
		check(s)
		enc, _ := json.Marshal(s)
		check(string(enc))
	})
}

func BenchmarkString(b *testing.B) {
	raw := `"` + strings.Repeat(`Summarise the quarter\'s figures for \"EMEA\" in a table.\n`, 24) + `"`
	raw = strings.ReplaceAll(raw, `\'`, `'`)
	b.SetBytes(int64(len(raw)))
	b.Run("rawjson", func(b *testing.B) {
		for b.Loop() {
			_ = String(raw)
		}
	})
	b.Run("gjson", func(b *testing.B) {
		for b.Loop() {
			_ = gjson.Parse(raw).Str
		}
	})
}
