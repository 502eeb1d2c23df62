package bedrock

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"

	"github.com/tidwall/gjson"

	"github.com/sluice-gw/sluice/pkg/translate/oaiwire"
	"github.com/sluice-gw/sluice/pkg/translate/rawjson"
)

// toolUseID fits an OpenAI tool call id to Converse's toolUseId pattern
// ([a-zA-Z0-9_-]{1,64}). The mapping is deterministic, so a call and its
// result still match; an over-long id keeps a hash of the whole id.
func toolUseID(id string) string {
	b := []byte(id)
	for i, c := range b {
		if !isIDChar(c) {
			b[i] = '_'
		}
	}
	if len(b) <= 64 {
		return string(b)
	}
	sum := sha256.Sum256([]byte(id))
	return string(b[:47]) + "_" + hex.EncodeToString(sum[:8])
}

func isIDChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

func (st *messageState) toolCall(at string, c gjson.Result, _ int) error {
	id, name := c.Get("id").Str, c.Get("function.name").Str
	if id == "" || name == "" {
		return oaiwire.Invalid(at, "%s needs an id and a function.name", at)
	}
	args, err := oaiwire.ToolCallArguments(at, c)
	if err != nil {
		return err
	}
	if st.calls == nil {
		st.calls = make(map[string]string)
	}
	if _, seen := st.calls[id]; !seen {
		st.noteUsed(name)
	}
	st.calls[id] = name
	st.msgs.Item("assistant")
	b := rawjson.AppendString(append(st.msgs.B, `{"toolUse":{"toolUseId":`...), toolUseID(id))
	b = rawjson.AppendString(append(b, `,"name":`...), name)
	b = append(append(b, `,"input":`...), args...)
	st.msgs.B = append(b, "}}"...)
	return nil
}

func (st *messageState) noteUsed(name string) {
	for _, n := range st.used {
		if n == name {
			return
		}
	}
	st.used = append(st.used, name)
}

func (st *messageState) toolResult(at string, m gjson.Result) error {
	id := m.Get("tool_call_id").Str
	if _, ok := st.calls[id]; !ok {
		return oaiwire.UnknownToolCall(at, id)
	}
	text, err := oaiwire.JoinText(provider, at, m.Get("content"))
	if err != nil {
		return err
	}
	st.msgs.Item("user")
	b := rawjson.AppendString(append(st.msgs.B, `{"toolResult":{"toolUseId":`...), toolUseID(id))
	b = append(b, `,"content":[`...)
	if text != "" {
		b = append(rawjson.AppendString(append(b, `{"text":`...), text), '}')
	}
	st.msgs.B = append(b, "]}}"...)
	return nil
}

// appendToolConfig writes "toolConfig". Converse refuses a history with
// toolUse or toolResult blocks unless tools are declared, so when the
// request has none, the functions the history used are declared with an
// open schema.
func appendToolConfig(dst []byte, tools, choice gjson.Result, used []string) ([]byte, error) {
	if choice.Type == gjson.String && choice.Str == "none" {
		// Converse cannot forbid tool use; leaving the tools out does,
		// unless the history needs them declared.
		if len(used) > 0 {
			return nil, oaiwire.UnsupportedValue(provider, "tool_choice", `"none" in a conversation that already has tool calls`)
		}
		return dst, nil
	}
	specs := make([]byte, 0, len(tools.Raw)+64)
	var err error
	switch {
	case tools.IsArray() && !rawjson.IsEmpty(tools.Raw):
		if specs, err = appendToolSpecs(specs, tools); err != nil {
			return nil, err
		}
	case tools.Exists() && !tools.IsArray():
		return nil, oaiwire.Invalid("tools", "tools must be an array")
	case len(used) > 0:
		for i, name := range used {
			if i > 0 {
				specs = append(specs, ',')
			}
			specs = rawjson.AppendString(append(specs, `{"toolSpec":{"name":`...), name)
			specs = append(specs, `,"inputSchema":{"json":{"type":"object"}}}}`...)
		}
	default:
		if choice.Exists() {
			return nil, oaiwire.Invalid("tool_choice", "tool_choice needs tools")
		}
		return dst, nil
	}
	dst = append(append(append(dst, `,"toolConfig":{"tools":[`...), specs...), ']')
	if choice.Exists() {
		c, err := toolChoice(choice)
		if err != nil {
			return nil, err
		}
		dst = append(append(dst, `,"toolChoice":`...), c...)
	}
	return append(dst, '}'), nil
}

func appendToolSpecs(dst []byte, tools gjson.Result) ([]byte, error) {
	err := oaiwire.EachTool(provider, tools, func(_ string, i int, fn gjson.Result, name string) error {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = rawjson.AppendString(append(dst, `{"toolSpec":{"name":`...), name)
		if d := fn.Get("description"); d.Type == gjson.String && d.Str != "" {
			dst = rawjson.AppendString(append(dst, `,"description":`...), d.Str)
		}
		// Converse takes JSON Schema as it is.
		dst = append(dst, `,"inputSchema":{"json":`...)
		if params := fn.Get("parameters"); params.IsObject() {
			dst = append(dst, params.Raw...)
		} else {
			dst = append(dst, `{"type":"object","properties":{}}`...)
		}
		dst = append(dst, "}}}"...)
		return nil
	})
	return dst, err
}

func toolChoice(choice gjson.Result) ([]byte, error) {
	tc, err := oaiwire.ReadToolChoice(provider, choice)
	if err != nil {
		return nil, err
	}
	switch tc.Mode {
	case oaiwire.ChoiceAuto:
		return []byte(`{"auto":{}}`), nil
	case oaiwire.ChoiceRequired:
		return []byte(`{"any":{}}`), nil
	case oaiwire.ChoiceFunction:
		return append(rawjson.AppendString([]byte(`{"tool":{"name":`), tc.Function), "}}"...), nil
	}
	// "none" has no Converse form; appendToolConfig leaves the tools out.
	return nil, oaiwire.UnsupportedValue(provider, "tool_choice", strconv.Quote(tc.Mode))
}
