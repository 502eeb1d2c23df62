package anthropic

import (
	"fmt"

	"github.com/tidwall/gjson"

	"github.com/sluice-gw/sluice/pkg/gwerror"
)

func appendOpenAIUser(b []byte, content gjson.Result, path string) ([]byte, error) {
	if content.Type == gjson.String {
		b = append(sep(b), '{')
		b = str(b, "role", "user")
		return append(raw(b, "content", content.Raw), '}'), nil
	}
	if !content.IsArray() {
		return nil, gwerror.Param(gwerror.InvalidRequest, path, "'%s' must be a string or an array", path)
	}
	var parts []byte
	var err error
	j := 0
	content.ForEach(func(_, blk gjson.Result) bool {
		p := fmt.Sprintf("%s[%d]", path, j)
		j++
		if blk.Get("type").Str == "tool_result" {
			b, err = appendToolMessage(b, blk, p)
		} else {
			parts, err = appendOpenAIPart(parts, blk, p)
		}
		return err == nil
	})
	if err != nil {
		return nil, err
	}
	if len(parts) > 0 {
		b = append(sep(b), '{')
		b = str(b, "role", "user")
		b = append(append(append(key(b, "content"), '['), parts...), ']', '}')
	}
	return b, nil
}

func appendToolMessage(b []byte, blk gjson.Result, path string) ([]byte, error) {
	text := ""
	if c := blk.Get("content"); c.Exists() {
		var err error
		if text, err = joinText(c, path+".content"); err != nil {
			return nil, err
		}
	}
	b = append(sep(b), '{')
	b = str(b, "role", "tool")
	b = str(b, "tool_call_id", blk.Get("tool_use_id").Str)
	return append(str(b, "content", text), '}'), nil
}

// appendOpenAIPart maps one user content block to an OpenAI content part.
func appendOpenAIPart(b []byte, blk gjson.Result, path string) ([]byte, error) {
	b = append(sep(b), '{')
	src := blk.Get("source")
	switch typ := blk.Get("type").Str; {
	case typ == "text":
		b = str(b, "type", "text")
		b = raw(b, "text", orString(blk.Get("text")))
	case typ == "image" && src.Get("type").Str == "base64":
		b = str(b, "type", "image_url")
		b = append(key(b, "image_url"), '{')
		b = append(str(b, "url", "data:"+src.Get("media_type").Str+";base64,"+src.Get("data").Str), '}')
	case typ == "image" && src.Get("type").Str == "url":
		b = str(b, "type", "image_url")
		b = append(key(b, "image_url"), '{')
		b = append(raw(b, "url", orString(src.Get("url"))), '}')
	case typ == "document" && src.Get("type").Str == "base64":
		name := blk.Get("title").Str
		if name == "" {
			name = "document.pdf"
		}
		b = str(b, "type", "file")
		b = append(key(b, "file"), '{')
		b = str(b, "filename", name)
		b = append(str(b, "file_data", "data:"+src.Get("media_type").Str+";base64,"+src.Get("data").Str), '}')
	case typ == "document" && src.Get("type").Str == "text":
		b = str(b, "type", "text")
		b = raw(b, "text", orString(src.Get("data")))
	default:
		return nil, gwerror.Param(gwerror.UnsupportedParam, path+".type",
			"content block type '%s' cannot be translated to the OpenAI chat format", typ)
	}
	return append(b, '}'), nil
}

// appendOpenAIAssistant joins text blocks into content and maps tool_use
// blocks to tool_calls. Thinking blocks are the model's own earlier
// reasoning; OpenAI chat has no place for them, and they are left out.
func appendOpenAIAssistant(b []byte, content gjson.Result, path string) ([]byte, error) {
	if content.Type == gjson.String {
		b = append(sep(b), '{')
		b = str(b, "role", "assistant")
		return append(raw(b, "content", content.Raw), '}'), nil
	}
	if !content.IsArray() {
		return nil, gwerror.Param(gwerror.InvalidRequest, path, "'%s' must be a string or an array", path)
	}
	var text, calls []byte
	var err error
	j := 0
	content.ForEach(func(_, blk gjson.Result) bool {
		p := fmt.Sprintf("%s[%d]", path, j)
		j++
		switch typ := blk.Get("type").Str; typ {
		case "text":
			text = append(text, blk.Get("text").Str...)
		case "tool_use":
			input := blk.Get("input").Raw
			if input == "" {
				input = "{}"
			}
			calls = append(sep(calls), '{')
			calls = str(calls, "id", blk.Get("id").Str)
			calls = str(calls, "type", "function")
			calls = append(key(calls, "function"), '{')
			calls = str(calls, "name", blk.Get("name").Str)
			calls = append(str(calls, "arguments", input), '}', '}')
		case "thinking", "redacted_thinking":
		default:
			err = gwerror.Param(gwerror.UnsupportedParam, p+".type",
				"content block type '%s' cannot be translated to the OpenAI chat format", typ)
		}
		return err == nil
	})
	if err != nil {
		return nil, err
	}
	b = append(sep(b), '{')
	b = str(b, "role", "assistant")
	if len(text) == 0 && len(calls) > 0 {
		b = raw(b, "content", "null")
	} else {
		b = str(b, "content", string(text))
	}
	if len(calls) > 0 {
		b = append(append(append(key(b, "tool_calls"), '['), calls...), ']')
	}
	return append(b, '}'), nil
}

// appendFunctionTools maps client tools to function tools. Anthropic's
// server tools (web search, code execution...) run inside Anthropic and
// have no OpenAI equivalent.
func appendFunctionTools(b []byte, tools gjson.Result) ([]byte, error) {
	if !tools.Exists() {
		return b, nil
	}
	if !tools.IsArray() {
		return nil, gwerror.Param(gwerror.InvalidRequest, "tools", "'tools' must be an array")
	}
	b = append(key(b, "tools"), '[')
	var err error
	i := 0
	tools.ForEach(func(_, t gjson.Result) bool {
		path := fmt.Sprintf("tools[%d]", i)
		i++
		if typ := t.Get("type"); typ.Exists() && typ.Str != "custom" {
			err = gwerror.Param(gwerror.UnsupportedParam, path+".type",
				"tool type '%s' cannot be translated to the OpenAI chat format", typ.Str)
			return false
		}
		b = append(sep(b), '{')
		b = str(b, "type", "function")
		b = append(key(b, "function"), '{')
		b = raw(b, "name", orString(t.Get("name")))
		if d := t.Get("description"); d.Type == gjson.String {
			b = raw(b, "description", d.Raw)
		}
		schema := `{"type":"object","properties":{}}`
		if s := t.Get("input_schema"); s.IsObject() {
			schema = s.Raw
		}
		b = append(raw(b, "parameters", schema), '}', '}')
		return true
	})
	if err != nil {
		return nil, err
	}
	return append(b, ']'), nil
}

// appendOpenAIToolChoice maps auto/any/tool/none to
// auto/required/{function}/none, and disable_parallel_tool_use to
// parallel_tool_calls:false.
func appendOpenAIToolChoice(b []byte, tc gjson.Result) ([]byte, error) {
	if !tc.Exists() {
		return b, nil
	}
	switch tc.Get("type").Str {
	case "auto":
		b = str(b, "tool_choice", "auto")
	case "any":
		b = str(b, "tool_choice", "required")
	case "none":
		b = str(b, "tool_choice", "none")
	case "tool":
		b = append(key(b, "tool_choice"), '{')
		b = str(b, "type", "function")
		b = append(key(b, "function"), '{')
		b = append(raw(b, "name", orString(tc.Get("name"))), '}', '}')
	default:
		return nil, gwerror.Param(gwerror.InvalidRequest, "tool_choice", "unknown tool_choice type '%s'", tc.Get("type").Str)
	}
	if tc.Get("disable_parallel_tool_use").Type == gjson.True {
		b = raw(b, "parallel_tool_calls", "false")
	}
	return b, nil
}
