package template

import (
	"testing"

	"github.com/tidwall/gjson"
)

// BenchmarkRender is a whole template call: check the call, bind and
// validate its variables (one against a JSON Schema), build the body.
func BenchmarkRender(b *testing.B) {
	tmpl := support(b)
	body := `{"variables":{"customer_name":"Ada Lovelace","question":"Where is my parcel? It was due on Monday.","count":3,"order":{"id":"A-1042"}},"stream":false}`
	b.ReportAllocs()
	for b.Loop() {
		call := gjson.Parse(body)
		if err := CheckCall(call); err != nil {
			b.Fatal(err)
		}
		vals, err := tmpl.Bind(call.Get("variables"))
		if err != nil {
			b.Fatal(err)
		}
		_ = tmpl.CallBody(call, vals)
	}
}

// BenchmarkRenderStrings is the same call with string variables only: no
// JSON Schema validation.
func BenchmarkRenderStrings(b *testing.B) {
	tmpl := support(b)
	body := `{"variables":{"customer_name":"Ada Lovelace","question":"Where is my parcel? It was due on Monday.","count":3}}`
	b.ReportAllocs()
	for b.Loop() {
		call := gjson.Parse(body)
		vals, err := tmpl.Bind(call.Get("variables"))
		if err != nil {
			b.Fatal(err)
		}
		_ = tmpl.CallBody(call, vals)
	}
}
