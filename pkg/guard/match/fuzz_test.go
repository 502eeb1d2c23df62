package match

import (
	"regexp"
	"testing"
)

// FuzzMaxLen checks the bound MaxLen computes: no match of a pattern it
// accepts is ever longer, on any text.
func FuzzMaxLen(f *testing.F) {
	f.Add(`TICKET-[0-9]{4,8}`, "see TICKET-12345678 and TICKET-1234")
	f.Add(`(?i)k|ſ{2}`, "KKkſſK")
	f.Add(`(a|bc){0,3}\b.`, "abcbca é")
	f.Fuzz(func(t *testing.T, expr, text string) {
		n, err := MaxLen(expr)
		if err != nil {
			return
		}
		re, err := regexp.Compile(expr)
		if err != nil {
			t.Fatalf("MaxLen accepted %q, which does not compile: %v", expr, err)
		}
		for _, loc := range re.FindAllStringIndex(text, -1) {
			if loc[1]-loc[0] > n {
				t.Fatalf("%q matched %q (%d bytes), over its bound %d", expr, text[loc[0]:loc[1]], loc[1]-loc[0], n)
			}
		}
	})
}

// FuzzDictionaryHold checks that a text whose held suffix is dropped never
// hides a match: every match of text+more either ends before the release
// point or starts in the held suffix.
func FuzzDictionaryHold(f *testing.F) {
	f.Add("we are internal", " only now")
	f.Add("ÜBER", "alles")
	d := NewDictionary([]string{"internal only", "über", "in"}, []int{0, 1, 2})
	f.Fuzz(func(t *testing.T, text, more string) {
		a := Fold(nil, []byte(text))
		cut := len(a) - d.Hold(a)
		all := Fold(nil, []byte(text+more))
		for _, m := range d.Find(nil, all) {
			if m.Start < cut && m.End > cut {
				t.Fatalf("match %v of %q runs across the release point %d of %q", m, text+more, cut, text)
			}
		}
	})
}
