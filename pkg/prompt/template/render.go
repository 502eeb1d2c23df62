package template

import (
	"strings"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"

	"github.com/sluice-gw/sluice/pkg/translate/rawjson"
)

// Values are a call's bound variables: the text each inserts, in the
// template's variable order.
type Values []string

// Bind checks a call's variables object against the template: every key
// must be a variable, every required variable present, every value of its
// type and within its bounds. Errors are *FieldError with the path the
// client wrote (variables.customer_name), checked in a fixed order so the
// same call always gets the same error.
func (t *Template) Bind(vars gjson.Result) (Values, error) {
	if vars.Exists() && vars.Type != gjson.Null && !vars.IsObject() {
		return nil, fieldErr("variables", "must be an object, got %s", typeName(vars))
	}
	vals := make(Values, len(t.Vars))
	set := make([]bool, len(t.Vars))
	var err *FieldError
	vars.ForEach(func(k, v gjson.Result) bool {
		i := t.varIndex(k.Str)
		if i < 0 {
			err = fieldErr("variables."+k.Str, "is not a variable of template %s", t.Name)
			return false
		}
		if v.Type == gjson.Null {
			return true // null is the same as leaving it out
		}
		var text string
		if text, err = t.Vars[i].bind(v, "variables."+k.Str); err != nil {
			return false
		}
		vals[i], set[i] = text, true
		return true
	})
	if err != nil {
		return nil, err
	}
	for i := range t.Vars {
		v := &t.Vars[i]
		switch {
		case set[i]:
		case v.HasDefault:
			vals[i] = v.Default
		case v.Required:
			return nil, fieldErr("variables."+v.Name, "is required")
		}
	}
	return vals, nil
}

func (t *Template) varIndex(name string) int {
	for i := range t.Vars {
		if t.Vars[i].Name == name {
			return i
		}
	}
	return -1
}

// HasSystem reports whether the template renders a system message.
func (t *Template) HasSystem() bool { return len(t.system) > 0 }

// Render returns the system and user texts.
func (t *Template) Render(vals Values) (system, user string) {
	return render(t.system, vals), render(t.user, vals)
}

func render(segs []segment, vals Values) string {
	if len(segs) == 0 {
		return ""
	}
	var b strings.Builder
	b.Grow(size(segs, vals))
	expand(&b, segs, vals)
	return b.String()
}

// AppendMessages appends the rendered messages to dst as JSON array
// elements, comma-separated, without brackets. Every text goes through
// the JSON string encoder: a value is message content and nothing else.
func (t *Template) AppendMessages(dst []byte, vals Values) []byte {
	system, user := t.Render(vals)
	if t.HasSystem() {
		dst = append(dst, `{"role":"system","content":`...)
		dst = rawjson.AppendString(dst, system)
		dst = append(dst, "},"...)
	}
	dst = append(dst, `{"role":"user","content":`...)
	dst = rawjson.AppendString(dst, user)
	return append(dst, '}')
}

// MessageCount is how many messages the template renders.
func (t *Template) MessageCount() int {
	if t.HasSystem() {
		return 2
	}
	return 1
}

// ResponseFormatJSON is the request's response_format for the template's
// schema; nil when it has none.
func (t *Template) ResponseFormatJSON() []byte {
	if t.ResponseFormat == nil {
		return nil
	}
	b := []byte(`{"type":"json_schema","json_schema":{"name":"","strict":true}}`)
	b, _ = sjson.SetBytes(b, "json_schema.name", t.Name)                // a plain string: cannot fail
	b, _ = sjson.SetRawBytes(b, "json_schema.schema", t.ResponseFormat) // compiled JSON: cannot fail
	return b
}
