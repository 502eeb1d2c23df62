package policy

import (
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/sluice-gw/sluice/pkg/policyvm"
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

// TestParametersRecord checks input.request.parameters: a record when
// every parameter is one package inbound reports, an object otherwise,
// and the same document either way.
func TestParametersRecord(t *testing.T) {
	for _, tc := range []struct {
		params map[string]any
		record bool
		want   string
	}{
		{map[string]any{"temperature": 0.2, "n": 1, "response_format": "json_schema", "parallel_tool_calls": false},
			true, `{"temperature": 0.2, "n": 1, "response_format": "json_schema", "parallel_tool_calls": false}`},
		{map[string]any{"temperature": 0.2, "logit_bias": map[string]any{"42": 1}},
			false, `{"temperature": 0.2, "logit_bias": {"42": 1}}`},
		{nil, false, `{}`},
	} {
		got, err := (&builder{}).params(tc.params)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := got.Value.(*policyvm.Record); ok != tc.record {
			t.Errorf("%v: a record: %v, want %v", tc.params, ok, tc.record)
		}
		if want := ast.MustParseTerm(tc.want); got.Value.Compare(want.Value) != 0 {
			t.Errorf("%v: got %v, want %v", tc.params, got, want)
		}
	}
}
