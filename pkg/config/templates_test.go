package config

import (
	"strings"
	"testing"
)

func TestParseTemplateFile(t *testing.T) {
	for _, tc := range []struct{ name, src, err string }{
		{"ok", "name: greet\nversions:\n  - {version: \"1\", model: gpt-4o, user: \"Hi {{who}}\", variables: [{name: who}]}\n", ""},
		{"unknown field", "name: greet\nsystem: hi\n", `greet.yaml:2: unknown field "system"`},
		{"bad reference", "name: greet\nversions:\n  - {version: \"1\", model: gpt-4o, user: \"{{who}\"}\n", "greet.yaml:3: versions[0].user: unclosed {{"},
		{"two documents", "name: a\n---\nname: b\n", "more than one YAML document"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pt, err := ParseTemplateFile("greet.yaml", []byte(tc.src))
			switch {
			case tc.err == "" && err != nil:
				t.Fatal(err)
			case tc.err == "" && pt.GetName() != "greet":
				t.Errorf("name %q", pt.GetName())
			case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
				t.Errorf("error = %v, want %q", err, tc.err)
			}
		})
	}
}

// FuzzParseTemplateFile: a template file of any content is accepted or
// rejected with an error, never a panic.
func FuzzParseTemplateFile(f *testing.F) {
	f.Add([]byte("name: greet\nversions:\n  - {version: \"1\", model: m, user: \"{{a}}\", variables: [{name: a, type: json, schema: {type: object}, default: {}}]}\n"))
	f.Add([]byte("name: x\nrollout: [{version: \"1\", weight: 1}]\nversions: [{version: \"1\", model: m, user: u}]\n"))
	f.Add([]byte("a: &a [*a]\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		pt, err := ParseTemplateFile("f.yaml", src)
		if err == nil && pt == nil {
			t.Fatal("no template and no error")
		}
	})
}
