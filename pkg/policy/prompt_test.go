package policy

import (
	"errors"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
)

func TestParsePromptDecorators(t *testing.T) {
	n := testCatalogue.names()
	for _, tc := range []struct {
		doc, want, err string
	}{
		{`{"allow": true}`, "", ""},
		{`{"allow": true, "prompt": {"decorators": ["safety", "brief"]}}`, "safety,brief", ""},
		{`{"allow": true, "prompt": {"decorators": {"safety"}}}`, "safety", ""},
		{`{"allow": true, "prompt": null}`, "", ""},
		{`{"allow": true, "prompt": "safety"}`, "", "prompt: want an object"},
		{`{"allow": true, "prompt": {"decorators": [1]}}`, "", "prompt.decorators: want strings"},
	} {
		t.Run(tc.doc, func(t *testing.T) {
			d, err := parseDecision(ast.MustParseTerm(tc.doc), n)
			if tc.err != "" {
				if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), tc.err) {
					t.Errorf("error = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(d.Prompt.Decorators, ","); got != tc.want {
				t.Errorf("decorators = %q, want %q", got, tc.want)
			}
		})
	}
}
