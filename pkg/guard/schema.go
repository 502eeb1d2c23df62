package guard

import (
	"bytes"
	"fmt"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/tidwall/gjson"
)

// requestSchema is the JSON schema a request asked the answer to follow.
type requestSchema struct{ s *jsonschema.Schema }

// schemaOf compiles the schema of a request's response_format, or returns
// nil when it asks for none, or for one that does not compile (the
// provider judges the request; the guard only checks what it can).
func schemaOf(request []byte) *requestSchema {
	rf := gjson.GetBytes(request, "response_format")
	if rf.Get("type").Str != "json_schema" {
		return nil
	}
	raw := rf.Get("json_schema.schema")
	if !raw.IsObject() {
		return nil
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader([]byte(raw.Raw)))
	if err != nil {
		return nil
	}
	c := jsonschema.NewCompiler()
	// A schema from a request must not make Sluice fetch anything.
	c.UseLoader(jsonschema.SchemeURLLoader{})
	if err := c.AddResource("request:response_format", doc); err != nil {
		return nil
	}
	s, err := c.Compile("request:response_format")
	if err != nil {
		return nil
	}
	return &requestSchema{s: s}
}

// validate checks an answer's whole content against the schema.
func (r *requestSchema) validate(content []byte) error {
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(content))
	if err != nil {
		return fmt.Errorf("the answer is not JSON: %w", err)
	}
	return r.s.Validate(v)
}
