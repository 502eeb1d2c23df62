package rawjson

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
		{"bad \xff byte", `"bad \ufffd byte"`},
		{"cut \xe2\x82", `"cut \ufffd\ufffd"`},
		{"日本語 😀", `"日本語 😀"`},
	}
	for _, tc := range tests {
		got := string(AppendString(nil, tc.in))
		if got != tc.want {
			t.Errorf("AppendString(%q) = %s, want %s", tc.in, got, tc.want)
		}
		if !utf8.ValidString(got) {
			t.Errorf("AppendString(%q) = %q is not valid UTF-8", tc.in, got)
		}
		var back string
		if err := json.Unmarshal([]byte(got), &back); err != nil {
			t.Errorf("AppendString(%q) is not JSON: %v", tc.in, err)
		}
	}
}

func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"héllo \x00 \xff \"", "", `"\`, "\x00\x1f", "\u2028\u2029", "é\xc3", "<&>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := AppendString(nil, s)
		var back string
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("%q encoded as invalid JSON %q: %v", s, out, err)
		}
		if !utf8.Valid(out) {
			t.Fatalf("%q encoded as invalid UTF-8 %q", s, out)
		}
		// Each byte that is not UTF-8 becomes one U+FFFD, as a []rune
		// conversion does.
		if want := string([]rune(s)); back != want {
			t.Fatalf("round trip of %q = %q, want %q", s, back, want)
		}
	})
}

func TestAppendKey(t *testing.T) {
	first := true
	b := append(AppendKey([]byte("{"), &first, "a"), '1')
	b = append(AppendKey(b, &first, "b"), '2')
	if got := string(append(b, '}')); got != `{"a":1,"b":2}` {
		t.Fatalf("got %s", got)
	}
}

func TestCompact(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{ "a" : [1, 2] }`, `{"a":[1,2]}`},
		{"{\n  \"s\": \"x y\\\" z\"\n}", `{"s":"x y\" z"}`},
		{`"\\"`, `"\\"`},
		{`[ ]`, `[]`},
	}
	for _, tc := range tests {
		if got := string(Compact(nil, tc.in)); got != tc.want {
			t.Errorf("Compact(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestIsEmpty(t *testing.T) {
	for raw, want := range map[string]bool{
		`{}`: true, `[]`: true, "{ \n\t\r}": true, `[ ]`: true,
		`{"a":1}`: false, `[0]`: false, `"x"`: false, `1`: false, ``: false,
	} {
		if got := IsEmpty(raw); got != want {
			t.Errorf("IsEmpty(%q) = %t, want %t", raw, got, want)
		}
	}
}

func TestTurns(t *testing.T) {
	tt := Turns{B: []byte(`[`), Items: "parts"}
	for _, it := range []struct{ role, item string }{
		{"user", "1"}, {"user", "2"}, {"model", "3"}, {"user", "4"},
	} {
		tt.Item(it.role)
		tt.B = append(tt.B, it.item...)
	}
	tt.Close()
	tt.Close() // closing twice is harmless
	want := `[{"role":"user","parts":[1,2]},{"role":"model","parts":[3]},{"role":"user","parts":[4]}]`
	if got := string(append(tt.B, ']')); got != want || tt.Len() != 3 {
		t.Fatalf("got %s (%d turns)\nwant %s", got, tt.Len(), want)
	}
}

func FuzzAppendCompactString(f *testing.F) {
	f.Add("{\n  \"a\": [1, 2],\n  \"s\": \"x \\\" y\\\\\"\n}")
	f.Add(`"é \ud83d\ude00"`)
	f.Fuzz(func(t *testing.T, raw string) {
		if !json.Valid([]byte(raw)) {
			return
		}
		got := AppendCompactString(nil, raw)
		want := AppendString(nil, string(Compact(nil, raw)))
		if string(got) != string(want) {
			t.Fatalf("AppendCompactString(%q) = %s, want %s", raw, got, want)
		}
	})
}
