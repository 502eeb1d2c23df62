package policy

import (
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
)

// TestSharedInputTerms checks that the terms shared between requests (no
// tools, no findings) are exactly what the input would otherwise hold.
func TestSharedInputTerms(t *testing.T) {
	tests := []struct {
		name string
		got  *ast.Term
		want string
	}{
		{"no findings", (&Findings{}).toAST(&builder{}), `{"pii": {"types": [], "count": 0}, "injection": {"score": 0, "verdict": "", "signals": []}}`},
		{"pii only", (&Findings{PII: PII{Types: []string{"EMAIL"}, Count: 2}}).toAST(&builder{}),
			`{"pii": {"types": ["EMAIL"], "count": 2}, "injection": {"score": 0, "verdict": "", "signals": []}}`},
		{"score only", (&Findings{Injection: Injection{Score: 0.25}}).toAST(&builder{}),
			`{"pii": {"types": [], "count": 0}, "injection": {"score": 0.25, "verdict": "", "signals": []}}`},
		{"no tools", (&Tools{}).toAST(&builder{}), `{"present": false, "count": 0, "names": []}`},
		{"tools", (&Tools{Present: true, Count: 1, Names: []string{"f"}}).toAST(&builder{}), `{"present": true, "count": 1, "names": ["f"]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if want := ast.MustParseTerm(tt.want); tt.got.Value.Compare(want.Value) != 0 {
				t.Errorf("got %v, want %v", tt.got, want)
			}
		})
	}
	if (&Findings{}).toAST(&builder{}) != noFindings {
		t.Error("a request with no findings does not share the term")
	}
}
