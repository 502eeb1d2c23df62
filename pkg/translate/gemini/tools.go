package gemini

import (
	"encoding/base64"
	"strings"

	"github.com/tidwall/gjson"

	"github.com/sluice-gw/sluice/pkg/translate/oaiwire"
	"github.com/sluice-gw/sluice/pkg/translate/rawjson"
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

func (st *messageState) toolCall(at string, c gjson.Result, i int) error {
	id, name := c.Get("id").Str, c.Get("function.name").Str
	if name == "" {
		return oaiwire.Invalid(at+".function.name", "%s.function.name is required", at)
	}
	args, err := oaiwire.ToolCallArguments(at, c)
	if err != nil {
		return err
	}
	if id != "" {
		if st.names == nil {
			st.names = make(map[string]string)
		}
		st.names[id] = name
	}
	st.contents.Item("model")
	b := rawjson.AppendString(append(st.contents.B, `{"functionCall":{"name":`...), name)
	b = append(append(b, `,"args":`...), args...)
	b = append(b, '}')
	sig := signatureFromID(id)
	if sig == "" && i == 0 {
		sig = dummySignature
	}
	if sig != "" {
		b = rawjson.AppendString(append(b, `,"thoughtSignature":`...), sig)
	}
	st.contents.B = append(b, '}')
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
		return oaiwire.UnknownToolCall(at, id)
	}
	text, err := oaiwire.JoinText(provider, at, m.Get("content"))
	if err != nil {
		return err
	}
	out := strings.TrimSpace(text)
	st.contents.Item("user")
	b := rawjson.AppendString(append(st.contents.B, `{"functionResponse":{"name":`...), name)
	b = append(b, `,"response":`...)
	if gjson.Valid(out) && gjson.Parse(out).IsObject() {
		b = append(b, out...)
	} else {
		b = append(rawjson.AppendString(append(b, `{"output":`...), text), '}')
	}
	st.contents.B = append(b, "}}"...)
	return nil
}

// appendTools writes "tools" and "toolConfig".
func appendTools(dst []byte, tools, choice gjson.Result) ([]byte, error) {
	if tools.Exists() {
		if !tools.IsArray() {
			return nil, oaiwire.Invalid("tools", "tools must be an array")
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
	err := oaiwire.EachTool(provider, tools, func(at string, i int, fn gjson.Result, name string) error {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = rawjson.AppendString(append(dst, `{"name":`...), name)
		if d := fn.Get("description"); d.Type == gjson.String {
			dst = rawjson.AppendString(append(dst, `,"description":`...), d.Str)
		}
		// Gemini rejects an OBJECT schema without properties, and a
		// function without parameters is exactly that, so it is omitted.
		var err error
		if params := fn.Get("parameters"); params.IsObject() && !isEmptyObject(params) {
			dst, err = convertSchema(append(dst, `,"parameters":`...), params, at+".function.parameters")
		}
		dst = append(dst, '}')
		return err
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
	if props := schema.Get("properties"); props.IsObject() && !rawjson.IsEmpty(props.Raw) {
		return false
	}
	t := schema.Get("type")
	return !t.Exists() || t.Str == "object"
}

func functionCallingConfig(choice gjson.Result) ([]byte, error) {
	tc, err := oaiwire.ReadToolChoice(provider, choice)
	if err != nil {
		return nil, err
	}
	switch tc.Mode {
	case oaiwire.ChoiceAuto:
		return []byte(`{"mode":"AUTO"}`), nil
	case oaiwire.ChoiceNone:
		return []byte(`{"mode":"NONE"}`), nil
	case oaiwire.ChoiceRequired:
		return []byte(`{"mode":"ANY"}`), nil
	}
	b := rawjson.AppendString([]byte(`{"mode":"ANY","allowedFunctionNames":[`), tc.Function)
	return append(b, "]}"...), nil
}
