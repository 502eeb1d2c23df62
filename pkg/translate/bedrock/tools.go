package bedrock

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"

	"github.com/tidwall/gjson"
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
		err = st.toolCall(at+".tool_calls["+strconv.Itoa(j)+"]", c)
		j++
		return err == nil
	})
	return err
}

func (st *messageState) toolCall(at string, c gjson.Result) error {
	if typ := c.Get("type").Str; typ != "function" && typ != "" {
		return unsupportedValue(at+".type", strconv.Quote(typ))
	}
	id, name := c.Get("id").Str, c.Get("function.name").Str
	if id == "" || name == "" {
		return invalid(at, "%s needs an id and a function.name", at)
	}
	args := strings.TrimSpace(c.Get("function.arguments").Str)
	if args == "" {
		args = "{}"
	}
	if !gjson.Valid(args) || !gjson.Parse(args).IsObject() {
		return invalid(at+".function.arguments", "%s.function.arguments must be a JSON object", at)
	}
	if st.calls == nil {
		st.calls = make(map[string]string)
	}
	if _, seen := st.calls[id]; !seen {
		st.noteUsed(name)
	}
	st.calls[id] = name
	st.msgs.block("assistant")
	b := appendString(append(st.msgs.b, `{"toolUse":{"toolUseId":`...), toolUseID(id))
	b = appendString(append(b, `,"name":`...), name)
	b = append(append(b, `,"input":`...), args...)
	st.msgs.b = append(b, "}}"...)
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
		return invalid(at+".tool_call_id",
			"%s.tool_call_id %q does not match a tool call of an earlier assistant message", at, id)
	}
	var text strings.Builder
	if err := eachText(at, m.Get("content"), func(s string) { text.WriteString(s) }); err != nil {
		return err
	}
	st.msgs.block("user")
	b := appendString(append(st.msgs.b, `{"toolResult":{"toolUseId":`...), toolUseID(id))
	b = append(b, `,"content":[`...)
	if text.Len() > 0 {
		b = append(appendString(append(b, `{"text":`...), text.String()), '}')
	}
	st.msgs.b = append(b, "]}}"...)
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
			return nil, unsupportedValue("tool_choice", `"none" in a conversation that already has tool calls`)
		}
		return dst, nil
	}
	specs := make([]byte, 0, len(tools.Raw)+64)
	var err error
	switch {
	case tools.IsArray() && !isEmptyJSON(tools.Raw):
		if specs, err = appendToolSpecs(specs, tools); err != nil {
			return nil, err
		}
	case tools.Exists() && !tools.IsArray():
		return nil, invalid("tools", "tools must be an array")
	case len(used) > 0:
		for i, name := range used {
			if i > 0 {
				specs = append(specs, ',')
			}
			specs = appendString(append(specs, `{"toolSpec":{"name":`...), name)
			specs = append(specs, `,"inputSchema":{"json":{"type":"object"}}}}`...)
		}
	default:
		if choice.Exists() {
			return nil, invalid("tool_choice", "tool_choice needs tools")
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
		dst = appendString(append(dst, `{"toolSpec":{"name":`...), name)
		if d := fn.Get("description"); d.Type == gjson.String && d.Str != "" {
			dst = appendString(append(dst, `,"description":`...), d.Str)
		}
		// Converse takes JSON Schema as it is.
		dst = append(dst, `,"inputSchema":{"json":`...)
		if params := fn.Get("parameters"); params.IsObject() {
			dst = append(dst, params.Raw...)
		} else {
			dst = append(dst, `{"type":"object","properties":{}}`...)
		}
		dst = append(dst, "}}}"...)
		i++
		return true
	})
	return dst, err
}

func toolChoice(choice gjson.Result) ([]byte, error) {
	if choice.Type == gjson.String {
		switch choice.Str {
		case "auto":
			return []byte(`{"auto":{}}`), nil
		case "required":
			return []byte(`{"any":{}}`), nil
		}
		return nil, unsupportedValue("tool_choice", strconv.Quote(choice.Str))
	}
	if choice.Get("type").Str != "function" {
		return nil, unsupportedValue("tool_choice.type", strconv.Quote(choice.Get("type").Str))
	}
	name := choice.Get("function.name").Str
	if name == "" {
		return nil, invalid("tool_choice.function.name", "tool_choice.function.name is required")
	}
	return append(appendString([]byte(`{"tool":{"name":`), name), "}}"...), nil
}
