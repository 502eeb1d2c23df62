package injection

import (
	"testing"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"ascii unchanged", "Hello, World!\n", "Hello, World!\n"},
		{"zero width", "ig\u200bno\u200cre\u200d \u2060all\ufeff", "ignore all"},
		{"soft hyphen", "in\u00adstruc\u00adtions", "instructions"},
		{"bidi controls", "a\u202eb\u2066c", "abc"},
		{"tags stripped", "hi\U000E0069\U000E0067!", "hi!"},
		{"invalid utf-8 dropped", "a\xffb\xc3", "ab"},
		{"fullwidth", "Ｉｇｎｏｒｅ", "Ignore"},
		{"math bold", "𝐢𝐠𝐧𝐨𝐫𝐞", "ignore"},
		{"ligature", "ﬁle", "file"},
		{"circled", "ⓘⓖⓝⓞⓡⓔ", "ignore"},
		{"cyrillic in latin word", "іgnоre", "ignore"},
		{"all cyrillic kept", "Привет мир", "Привет мир"},
		{"greek word kept", "αβγ", "αβγ"},
		{"accents kept", "précédentes Anweisungen übergehen", "précédentes Anweisungen übergehen"},
		{"decomposed accent composed", "pre\u0301ce\u0301dentes", "précédentes"},
		{"zalgo marks on ascii", "i\u0334g\u0335n\u0336ore", "ignore"},
		{"curly quotes", "\u2018say\u2019 \u201chi\u201d", "'say' \"hi\""},
		{"dashes", "a\u2013b\u2014c", "a-b-c"},
		{"nbsp", "a\u00a0b", "a b"},
		{"emoji kept", "ok 👍🏽", "ok 👍🏽"},
		{"one variation selector kept", "❤\uFE0F", "❤\uFE0F"},
		{"selector run dropped", "❤\uFE0F\uFE0F\uFE0F\uFE0F", "❤\uFE0F"},
		{"selector on a letter dropped", "x\uFE0F", "x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(Normalize([]byte("pre:"), []byte(tt.in)))
			if want := "pre:" + tt.want; got != want {
				t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, want)
			}
		})
	}
}
