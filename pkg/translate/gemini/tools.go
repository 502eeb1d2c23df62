package gemini

import (
	"encoding/base64"
	"strconv"
	"strings"

	"github.com/tidwall/gjson"
)

// Gemini 3 models reject a replayed functionCall without the thoughtSignature
// the model attached to it. OpenAI clients only echo a tool call's id, so the
// signature travels inside the id: call_<random>.sig.<signature>.
const sigMarker = ".sig."

// dummySignature is Google's documented placeholder for function calls the
// model did not produce itself (histories from other models, edited turns).
const dummySignature = "skip_thought_signature_validator"

func signatureFromID(id string) string {
	if !strings.HasPrefix(id, toolCallPrefix) {
		return ""
	}
	_, sig, ok := strings.Cut(id, sigMarker)
	if !ok || sig == "" {
		return ""
	}
	if _, err := base64.StdEncoding.DecodeString(sig); err != nil {
		return ""
	}
	return sig
}

func (st *messageState) toolCalls(at string, calls gjson.Result) error {
	if !calls.Exists() || calls.Type == gjson.Null {
		return nil
	}
	if !calls.IsArray() {
		return invalid(at+".tool_calls", "%s.tool_calls must be an array", at)
	}
	var err error
	j := 0
	calls.ForEach(func(_, c gjson.Result) bool {
		err = st.toolCall(at+".tool_calls["+strconv.Itoa(j)+"]", c, j == 0)
		j++
		return err == nil
	})
	return err
}

func (st *messageState) toolCall(at string, c gjson.Result, first bool) error {
	if typ := c.Get("type").Str; typ != "function" && typ != "" {
		return unsupportedValue(at+".type", strconv.Quote(typ))
	}
	id, name := c.Get("id").Str, c.Get("function.name").Str
	if name == "" {
		return invalid(at+".function.name", "%s.function.name is required", at)
	}
	args := strings.TrimSpace(c.Get("function.arguments").Str)
	if args == "" {
		args = "{}"
	}
	if !gjson.Valid(args) || !gjson.Parse(args).IsObject() {
		return invalid(at+".function.arguments", "%s.function.arguments must be a JSON object", at)
	}
	if id != "" {
		if st.names == nil {
			st.names = make(map[string]string)
		}
		st.names[id] = name
	}
	st.contents.part("model")
	b := appendString(append(st.contents.b, `{"functionCall":{"name":`...), name)
	b = append(append(b, `,"args":`...), args...)
	b = append(b, '}')
	sig := signatureFromID(id)
	if sig == "" && first {
		sig = dummySignature
	}
	if sig != "" {
		b = appendString(append(b, `,"thoughtSignature":`...), sig)
	}
	st.contents.b = append(b, '}')
	return nil
}

// toolResult becomes a functionResponse. Gemini matches responses to calls
// by function name, which OpenAI tool messages do not carry, so the name
// comes from the assistant tool call with the same id. A JSON object result
// is passed as the response; anything else is wrapped as {"output": text}.
func (st *messageState) toolResult(at string, m gjson.Result) error {
	id := m.Get("tool_call_id").Str
	name, ok := st.names[id]
	if !ok {
		return invalid(at+".tool_call_id",
			"%s.tool_call_id %q does not match a tool call of an earlier assistant message", at, id)
	}
	var text strings.Builder
	if err := eachText(at, m.Get("content"), func(s string) { text.WriteString(s) }); err != nil {
		return err
	}
	out := strings.TrimSpace(text.String())
	st.contents.part("user")
	b := appendString(append(st.contents.b, `{"functionResponse":{"name":`...), name)
	b = append(b, `,"response":`...)
	if gjson.Valid(out) && gjson.Parse(out).IsObject() {
		b = append(b, out...)
	} else {
		b = append(appendString(append(b, `{"output":`...), text.String()), '}')
	}
	st.contents.b = append(b, "}}"...)
	return nil
}

// appendTools writes "tools" and "toolConfig".
func appendTools(dst []byte, tools, choice gjson.Result) ([]byte, error) {
	if tools.Exists() {
		if !tools.IsArray() {
			return nil, invalid("tools", "tools must be an array")
		}
		decls, err := appendDeclarations(make([]byte, 0, len(tools.Raw)), tools)
		if err != nil {
			return nil, err
		}
		if len(decls) > 0 {
			dst = append(dst, `,"tools":[{"functionDeclarations":[`...)
			dst = append(append(dst, decls...), "]}]"...)
		}
	}
	if !choice.Exists() {
		return dst, nil
	}
	cfg, err := functionCallingConfig(choice)
	if err != nil {
		return nil, err
	}
	dst = append(dst, `,"toolConfig":{"functionCallingConfig":`...)
	return append(append(dst, cfg...), '}'), nil
}

func appendDeclarations(dst []byte, tools gjson.Result) ([]byte, error) {
	var err error
	i := 0
	tools.ForEach(func(_, tool gjson.Result) bool {
		at := "tools[" + strconv.Itoa(i) + "]"
		if typ := tool.Get("type").Str; typ != "function" {
			err = unsupportedValue(at+".type", strconv.Quote(typ))
			return false
		}
		fn := tool.Get("function")
		name := fn.Get("name").Str
		if name == "" {
			err = invalid(at+".function.name", "%s.function.name is required", at)
			return false
		}
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendString(append(dst, `{"name":`...), name)
		if d := fn.Get("description"); d.Type == gjson.String {
			dst = appendString(append(dst, `,"description":`...), d.Str)
		}
		// Gemini rejects an OBJECT schema without properties, and a
		// function without parameters is exactly that, so it is omitted.
		if params := fn.Get("parameters"); params.IsObject() && !isEmptyObject(params) {
			dst, err = convertSchema(append(dst, `,"parameters":`...), params, at+".function.parameters")
		}
		dst = append(dst, '}')
		i++
		return err == nil
	})
	return dst, err
}

// isEmptyObject reports a schema that only says "an object with no properties".
func isEmptyObject(schema gjson.Result) bool {
	for _, k := range []string{"$ref", "anyOf", "oneOf", "allOf"} {
		if schema.Get(k).Exists() {
			return false
		}
	}
	if props := schema.Get("properties"); props.IsObject() && !isEmptyJSON(props.Raw) {
		return false
	}
	t := schema.Get("type")
	return !t.Exists() || t.Str == "object"
}

// isEmptyJSON reports "{}" or "[]" with any inner whitespace.
func isEmptyJSON(raw string) bool {
	return len(raw) >= 2 && strings.TrimSpace(raw[1:len(raw)-1]) == ""
}

func functionCallingConfig(choice gjson.Result) ([]byte, error) {
	if choice.Type == gjson.String {
		var mode string
		switch choice.Str {
		case "auto":
			mode = "AUTO"
		case "none":
			mode = "NONE"
		case "required":
			mode = "ANY"
		default:
			return nil, unsupportedValue("tool_choice", strconv.Quote(choice.Str))
		}
		return []byte(`{"mode":"` + mode + `"}`), nil
	}
	if choice.Get("type").Str != "function" {
		return nil, unsupportedValue("tool_choice.type", strconv.Quote(choice.Get("type").Str))
	}
	name := choice.Get("function.name").Str
	if name == "" {
		return nil, invalid("tool_choice.function.name", "tool_choice.function.name is required")
	}
	b := appendString([]byte(`{"mode":"ANY","allowedFunctionNames":[`), name)
	return append(b, "]}"...), nil
}
