package template

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/tidwall/gjson"

	configv1 "github.com/sluice-gw/sluice/api/sluice/config/v1"
)

// FuzzRender feeds arbitrary variables to a template: binding may refuse
// them, but whatever it accepts must render to a body with exactly the
// template's two messages, each value inside its content.
func FuzzRender(f *testing.F) {
	for _, s := range []string{
		`{"customer_name":"a","question":"q"}`,
		`{"customer_name":"\"}]","question":"{{company}}"}`,
		`{"customer_name":"a","question":"q","order":{"id":"x"},"count":1e999}`,
		`{"customer_name":"a","question":"\u2028","tone":"formal"}`,
		"{\"customer_name\":\"\xff\",\"question\":\"q\"}",
		`[]`, `null`, `{"customer_name":{"a":1}}`,
	} {
		f.Add(s)
	}
	tmpl := support(f)
	f.Fuzz(func(t *testing.T, vars string) {
		vals, err := tmpl.Bind(gjson.Parse(vars))
		if err != nil {
			return
		}
		body := tmpl.CallBody(gjson.Parse(`{}`), vals)
		if !json.Valid(body) {
			t.Fatalf("invalid JSON for %q:\n%s", vars, body)
		}
		r := gjson.ParseBytes(body)
		if n := r.Get("messages.#").Int(); n != 2 {
			t.Fatalf("%d messages for %q:\n%s", n, vars, body)
		}
		if !strings.HasPrefix(r.Get("messages.1.content").Str, "Customer ") {
			t.Fatalf("user message lost its text for %q:\n%s", vars, body)
		}
	})
}

// FuzzParseText checks the segment parser never panics and that a parsed
// text expands back to itself when each variable renders as its
// reference.
func FuzzParseText(f *testing.F) {
	for _, s := range []string{"", "hi", "{{a}}", "x{{ a }}y{{b}}", "{{", "}}", "{{a}", "{{{{a}}}}", "{{c}}"} {
		f.Add(s)
	}
	vars := map[string]int{"a": 0, "b": 1}
	f.Fuzz(func(t *testing.T, text string) {
		segs, err := parseText(text, func(n string) (int, bool) { i, ok := vars[n]; return i, ok })
		if err != nil {
			return
		}
		var b strings.Builder
		expand(&b, segs, []string{"A", "B"})
		if got := b.String(); strings.Count(got, "{{") > strings.Count(text, "{{") {
			t.Fatalf("expanded %q to %q", text, got)
		}
	})
}

// FuzzCompile compiles arbitrary template text; it must never panic.
func FuzzCompile(f *testing.F) {
	f.Add("sys {{a}}", "user {{b}}")
	f.Add("{{", "}}")
	f.Fuzz(func(t *testing.T, system, user string) {
		_, _ = Compile("t", "", &configv1.PromptVersion{Version: "1", System: system, User: user,
			Variables: []*configv1.PromptVariable{{Name: "a"}, {Name: "b"}}})
	})
}
