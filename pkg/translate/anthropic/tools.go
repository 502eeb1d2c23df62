package anthropic

import (
	"fmt"

	"github.com/tidwall/gjson"

	"github.com/sluice-gw/sluice/pkg/gwerror"
	"github.com/sluice-gw/sluice/pkg/translate/rawjson"
)

// jsonToolName names the forced tool behind response_format when the
// client gave no usable schema name.
const jsonToolName = "json_response"

// jsonTool is how response_format maps: the Messages API has no JSON mode,
// so Sluice offers one tool whose input_schema is the requested schema and
// forces the model to call it. The tool's input is the JSON answer; the
// response translation turns it back into message content.
type jsonTool struct {
	name, description, schema string
}

// forcedTool reads response_format. ok is false for absent or "text".
func forcedTool(rf gjson.Result) (t jsonTool, ok bool, err error) {
	if !rf.Exists() || rf.Type == gjson.Null {
		return t, false, nil
	}
	switch rf.Get("type").Str {
	case "text":
		return t, false, nil
	case "json_object":
		return jsonTool{name: jsonToolName, description: "Respond with a JSON object.", schema: `{"type":"object"}`}, true, nil
	case "json_schema":
		js := rf.Get("json_schema")
		t = jsonTool{name: js.Get("name").Str, description: js.Get("description").Str, schema: js.Get("schema").Raw}
		if !validToolName(t.name) {
			t.name = jsonToolName
		}
		if t.description == "" {
			t.description = "Respond with a JSON object that matches this schema."
		}
		if t.schema == "" || !js.Get("schema").IsObject() {
			t.schema = `{"type":"object"}`
		}
		return t, true, nil
	}
	return t, false, unsupported("response_format")
}

// forcedToolName is the tool that carries the JSON answer for req, or "".
func forcedToolName(body []byte) string {
	t, ok, err := forcedTool(gjson.GetBytes(body, "response_format"))
	if !ok || err != nil {
		return ""
	}
	return t.name
}

// validToolName matches Anthropic's ^[a-zA-Z0-9_-]{1,64}$.
func validToolName(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isNameByte(s[i]) {
			return false
		}
	}
	return true
}

func isNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

// appendTools maps tools, tool_choice, parallel_tool_calls and
// response_format.
func appendTools(b []byte, p *chatParams) ([]byte, error) {
	jt, forced, err := forcedTool(p.responseFormat)
	if err != nil {
		return nil, err
	}
	hasTools := p.tools.IsArray() && !rawjson.IsEmpty(p.tools.Raw)
	if forced {
		if hasTools {
			return nil, gwerror.Param(gwerror.UnsupportedParam, "response_format",
				"parameter 'response_format' together with 'tools' is not supported by provider anthropic")
		}
		b = append(key(b, "tools"), '[', '{')
		b = str(b, "name", jt.name)
		b = str(b, "description", jt.description)
		b = append(raw(b, "input_schema", jt.schema), '}', ']')
		b = append(key(b, "tool_choice"), '{')
		b = str(b, "type", "tool")
		return append(str(b, "name", jt.name), '}'), nil
	}
	if p.tools.Exists() && !p.tools.IsArray() {
		return nil, gwerror.Param(gwerror.InvalidRequest, "tools", "'tools' must be an array")
	}
	if hasTools {
		if b, err = appendToolList(b, p.tools); err != nil {
			return nil, err
		}
	}
	return appendToolChoice(b, p, hasTools)
}

func appendToolList(b []byte, tools gjson.Result) ([]byte, error) {
	b = append(key(b, "tools"), '[')
	var err error
	i := 0
	tools.ForEach(func(_, t gjson.Result) bool {
		path := fmt.Sprintf("tools[%d]", i)
		i++
		if typ := t.Get("type").Str; typ != "function" {
			err = gwerror.Param(gwerror.UnsupportedParam, path+".type",
				"tool type '%s' is not supported by provider anthropic", typ)
			return false
		}
		fn := t.Get("function")
		name := fn.Get("name")
		if name.Type != gjson.String || name.Str == "" {
			err = gwerror.Param(gwerror.MissingField, path+".function.name", "'%s.function.name' is required", path)
			return false
		}
		b = append(sep(b), '{')
		b = raw(b, "name", name.Raw)
		if d := fn.Get("description"); d.Type == gjson.String {
			b = raw(b, "description", d.Raw)
		}
		schema := `{"type":"object","properties":{}}`
		if ps := fn.Get("parameters"); ps.IsObject() {
			schema = ps.Raw
		}
		b = append(raw(b, "input_schema", schema), '}')
		return true
	})
	if err != nil {
		return nil, err
	}
	return append(b, ']'), nil
}

// appendToolChoice maps auto/none/required/{function} to
// auto/none/any/{tool}, and parallel_tool_calls:false to
// disable_parallel_tool_use.
func appendToolChoice(b []byte, p *chatParams, hasTools bool) ([]byte, error) {
	tc := p.toolChoice
	noParallel := p.parallelToolCalls.Type == gjson.False
	if !tc.Exists() && (!noParallel || !hasTools) {
		return b, nil
	}
	choice, name := "auto", ""
	switch {
	case !tc.Exists():
	case tc.Type == gjson.String:
		switch tc.Str {
		case "auto", "none":
			choice = tc.Str
		case "required":
			choice = "any"
		default:
			return nil, gwerror.Param(gwerror.InvalidRequest, "tool_choice", "unknown tool_choice '%s'", tc.Str)
		}
	case tc.Get("type").Str == "function" && tc.Get("function.name").Type == gjson.String:
		choice, name = "tool", tc.Get("function.name").Raw
	default:
		return nil, unsupported("tool_choice")
	}
	b = append(key(b, "tool_choice"), '{')
	b = str(b, "type", choice)
	if name != "" {
		b = raw(b, "name", name)
	}
	if noParallel && choice != "none" {
		b = raw(b, "disable_parallel_tool_use", "true")
	}
	return append(b, '}'), nil
}
