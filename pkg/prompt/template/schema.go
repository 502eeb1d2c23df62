package template

import (
	"github.com/tidwall/sjson"
)

// VariablesSchema is the JSON Schema of the template's variables object,
// as GET /v1/prompts lists it. Variable names are plain identifiers, so
// they are safe as sjson path segments.
func (t *Template) VariablesSchema() []byte {
	b := []byte(`{"type":"object","properties":{},"additionalProperties":false}`)
	var required []string
	for i := range t.Vars {
		v := &t.Vars[i]
		b, _ = sjson.SetRawBytes(b, "properties."+v.Name, v.schema()) // built JSON: cannot fail
		if v.Required && !v.HasDefault {
			required = append(required, v.Name)
		}
	}
	if len(required) > 0 {
		b, _ = sjson.SetBytes(b, "required", required)
	}
	return b
}

func (v *Variable) schema() []byte {
	var b []byte
	switch v.Kind {
	case Number:
		b = []byte(`{"type":"number"}`)
	case JSON:
		b = []byte(`{}`)
		if v.SchemaJSON != nil {
			b = v.SchemaJSON
		}
	default:
		b = []byte(`{"type":"string"}`)
		b, _ = sjson.SetBytes(b, "maxLength", v.MaxLength)
		if v.Kind == Enum {
			b, _ = sjson.SetBytes(b, "enum", v.Values)
		}
	}
	if v.Description != "" {
		b, _ = sjson.SetBytes(b, "description", v.Description)
	}
	if v.HasDefault {
		switch v.Kind {
		case String, Enum:
			b, _ = sjson.SetBytes(b, "default", v.Default)
		default:
			b, _ = sjson.SetRawBytes(b, "default", []byte(v.Default))
		}
	}
	return b
}
