package policy

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
)

// FuzzParseDecision feeds arbitrary decision documents to the parser: it
// must never panic, and what it accepts must keep the contract's promises.
func FuzzParseDecision(f *testing.F) {
	raw, err := os.ReadFile("testdata/cases/data.json")
	if err != nil {
		f.Fatal(err)
	}
	var cases struct{ Cases map[string]json.RawMessage }
	if err := json.Unmarshal(raw, &cases); err != nil {
		f.Fatal(err)
	}
	for _, c := range cases.Cases {
		f.Add([]byte(c))
	}
	n := testCatalogue.names()
	f.Fuzz(func(t *testing.T, doc []byte) {
		term, err := ast.ParseTerm(string(doc))
		if err != nil || !term.IsGround() {
			return
		}
		d, err := parseDecision(term, n)
		if err != nil {
			return
		}
		if !d.Allow && !denyStatuses[d.Status] {
			t.Errorf("deny with status %d", d.Status)
		}
		for _, tg := range d.Route.Split {
			if tg.Weight <= 0 || !known(n.models, tg.Model) {
				t.Errorf("split target %+v", tg)
			}
		}
		for _, h := range []map[string]string{d.Headers.Upstream, d.Headers.Downstream} {
			for name, value := range h {
				if !strings.HasPrefix(name, "x-") || name != strings.ToLower(name) || strings.ContainsAny(value, "\r\n") {
					t.Errorf("header %q: %q", name, value)
				}
			}
		}
	})
}
