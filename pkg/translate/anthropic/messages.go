package anthropic

import (
	"fmt"
	"strings"

	"github.com/tidwall/gjson"

	"github.com/sluice-gw/sluice/pkg/gwerror"
	"github.com/sluice-gw/sluice/pkg/translate/rawjson"
)

// converter turns OpenAI messages into Anthropic's top-level system blocks
// and alternating user/assistant messages.
type converter struct {
	sys      []byte // text blocks, without the enclosing brackets
	msgs     []byte // messages, without the enclosing brackets
	toolOpen bool   // msgs ends in a user message of tool_result blocks still being filled
}

// appendMessages writes "system" (when any system or developer message
// exists) and "messages".
func appendMessages(b []byte, messages gjson.Result) ([]byte, error) {
	// The messages come out about as long as they went in.
	c := converter{msgs: make([]byte, 0, len(messages.Raw)+256)}
	var err error
	i := 0
	rawjson.Each(messages, func(_ string, m gjson.Result) bool {
		err = c.message(i, m)
		i++
		return err == nil
	})
	if err != nil {
		return nil, err
	}
	c.closeTools()
	if len(c.sys) > 0 {
		b = append(append(append(key(b, "system"), '['), c.sys...), ']')
	}
	return append(append(append(key(b, "messages"), '['), c.msgs...), ']'), nil
}

// messageKeys are the members of a message the converter reads.
var messageKeys = [...]string{fRole: "role", fContent: "content", fToolCalls: "tool_calls", fToolCallID: "tool_call_id"}

const (
	fRole = iota
	fContent
	fToolCalls
	fToolCallID
)

// messagePaths are the usual messages' paths, for error messages: made
// once rather than for every message of every request.
var messagePaths = func() (p [32]string) {
	for i := range p {
		p[i] = fmt.Sprintf("messages[%d]", i)
	}
	return p
}()

func messagePath(i int) string {
	if i < len(messagePaths) {
		return messagePaths[i]
	}
	return fmt.Sprintf("messages[%d]", i)
}

func (c *converter) message(i int, m gjson.Result) error {
	path := messagePath(i)
	if !m.IsObject() {
		return gwerror.Param(gwerror.InvalidRequest, path, "'%s' must be an object", path)
	}
	var f [len(messageKeys)]gjson.Result
	rawjson.Fields(m, messageKeys[:], f[:])
	content := f[fContent]
	switch role := f[fRole].Str; role {
	case "system", "developer":
		// Anthropic has one top-level system prompt: every system message
		// is hoisted into it, in order.
		var err error
		c.sys, err = appendTextBlocks(c.sys, content, path+".content")
		return err
	case "user":
		c.closeTools()
		return c.user(path, content)
	case "assistant":
		c.closeTools()
		return c.assistant(path, content, f[fToolCalls])
	case "tool":
		return c.tool(path, content, f[fToolCallID])
	case "function":
		return gwerror.Param(gwerror.UnsupportedParam, path+".role",
			"role 'function' is not supported by provider anthropic; use tool messages")
	default:
		return gwerror.Param(gwerror.InvalidRequest, path+".role", "unknown role '%s'", role)
	}
}

// closeTools ends the user message that collects consecutive tool results.
func (c *converter) closeTools() {
	if c.toolOpen {
		c.msgs = append(c.msgs, ']', '}')
		c.toolOpen = false
	}
}

func (c *converter) user(path string, content gjson.Result) error {
	c.msgs = append(sep(c.msgs), '{')
	c.msgs = str(c.msgs, "role", "user")
	c.msgs = key(c.msgs, "content")
	switch {
	case content.Type == gjson.String:
		c.msgs = append(c.msgs, content.Raw...)
	case content.IsArray():
		var err error
		if c.msgs, err = appendUserParts(c.msgs, content, path+".content"); err != nil {
			return err
		}
	default:
		return gwerror.Param(gwerror.InvalidRequest, path+".content", "'%s.content' must be a string or an array", path)
	}
	c.msgs = append(c.msgs, '}')
	return nil
}

// assistant writes text and tool_use blocks. A message with neither
// (empty content, no tool calls) is skipped: Anthropic rejects empty
// assistant turns and it carries nothing.
func (c *converter) assistant(path string, content, toolCalls gjson.Result) error {
	blocks, err := appendTextBlocks(nil, content, path+".content")
	if err != nil {
		return err
	}
	if blocks, err = appendToolUses(blocks, toolCalls, path+".tool_calls"); err != nil {
		return err
	}
	if len(blocks) == 0 {
		return nil
	}
	c.msgs = append(sep(c.msgs), '{')
	c.msgs = str(c.msgs, "role", "assistant")
	c.msgs = append(append(append(key(c.msgs, "content"), '['), blocks...), ']', '}')
	return nil
}

// tool appends a tool_result block, merging consecutive tool messages into
// one user message as Anthropic expects.
func (c *converter) tool(path string, content, id gjson.Result) error {
	if id.Type != gjson.String {
		return gwerror.Param(gwerror.MissingField, path+".tool_call_id", "'%s.tool_call_id' is required", path)
	}
	if !c.toolOpen {
		c.msgs = append(sep(c.msgs), '{')
		c.msgs = str(c.msgs, "role", "user")
		c.msgs = append(key(c.msgs, "content"), '[')
		c.toolOpen = true
	}
	c.msgs = append(sep(c.msgs), '{')
	c.msgs = str(c.msgs, "type", "tool_result")
	c.msgs = raw(c.msgs, "tool_use_id", id.Raw)
	switch {
	case content.Type == gjson.String:
		c.msgs = raw(c.msgs, "content", content.Raw)
	case content.IsArray():
		blocks, err := appendTextBlocks(nil, content, path+".content")
		if err != nil {
			return err
		}
		c.msgs = append(append(append(key(c.msgs, "content"), '['), blocks...), ']')
	case content.Exists() && content.Type != gjson.Null:
		return gwerror.Param(gwerror.InvalidRequest, path+".content", "'%s.content' must be a string or an array", path)
	}
	c.msgs = append(c.msgs, '}')
	return nil
}

// appendTextBlocks appends text blocks for content that may only hold text
// (system, assistant and tool messages). Empty text is skipped.
func appendTextBlocks(b []byte, content gjson.Result, path string) ([]byte, error) {
	switch {
	case !content.Exists() || content.Type == gjson.Null:
		return b, nil
	case content.Type == gjson.String:
		return appendText(b, content), nil
	case !content.IsArray():
		return nil, gwerror.Param(gwerror.InvalidRequest, path, "'%s' must be a string or an array", path)
	}
	var err error
	j := 0
	content.ForEach(func(_, part gjson.Result) bool {
		p := fmt.Sprintf("%s[%d]", path, j)
		j++
		switch part.Get("type").Str {
		case "text":
			b = appendText(b, part.Get("text"))
		case "refusal":
			b = appendText(b, part.Get("refusal"))
		default:
			err = gwerror.Param(gwerror.InvalidRequest, p+".type",
				"content part type '%s' is not allowed here", part.Get("type").Str)
		}
		return err == nil
	})
	return b, err
}

func appendText(b []byte, text gjson.Result) []byte {
	if text.Type != gjson.String || text.Str == "" {
		return b
	}
	b = append(sep(b), '{')
	b = str(b, "type", "text")
	return append(raw(b, "text", text.Raw), '}')
}

func appendUserParts(b []byte, parts gjson.Result, path string) ([]byte, error) {
	b = append(b, '[')
	var err error
	j := 0
	parts.ForEach(func(_, part gjson.Result) bool {
		p := fmt.Sprintf("%s[%d]", path, j)
		j++
		switch typ := part.Get("type").Str; typ {
		case "text":
			t := part.Get("text")
			if t.Type != gjson.String {
				err = gwerror.Param(gwerror.InvalidRequest, p+".text", "'%s.text' must be a string", p)
				return false
			}
			b = append(sep(b), '{')
			b = str(b, "type", "text")
			b = append(raw(b, "text", t.Raw), '}')
		case "image_url":
			b, err = appendImage(b, part.Get("image_url.url"), p+".image_url.url")
		case "file":
			b, err = appendDocument(b, part.Get("file"), p+".file")
		default:
			err = gwerror.Param(gwerror.UnsupportedParam, p+".type",
				"content part type '%s' is not supported by provider anthropic", typ)
		}
		return err == nil
	})
	if err != nil {
		return nil, err
	}
	return append(b, ']'), nil
}

// appendToolUses maps assistant tool_calls to tool_use blocks. The
// arguments string must hold a JSON object: it becomes the block's input.
func appendToolUses(b []byte, calls gjson.Result, path string) ([]byte, error) {
	if !calls.Exists() || calls.Type == gjson.Null {
		return b, nil
	}
	if !calls.IsArray() {
		return nil, gwerror.Param(gwerror.InvalidRequest, path, "'%s' must be an array", path)
	}
	var err error
	j := 0
	calls.ForEach(func(_, call gjson.Result) bool {
		p := fmt.Sprintf("%s[%d]", path, j)
		j++
		args := call.Get("function.arguments").Str
		if strings.TrimSpace(args) == "" {
			args = "{}"
		}
		if !gjson.Valid(args) || !gjson.Parse(args).IsObject() {
			err = gwerror.Param(gwerror.InvalidRequest, p+".function.arguments",
				"'%s.function.arguments' must be a JSON object", p)
			return false
		}
		b = append(sep(b), '{')
		b = str(b, "type", "tool_use")
		b = str(b, "id", call.Get("id").Str)
		b = str(b, "name", call.Get("function.name").Str)
		b = append(raw(b, "input", args), '}')
		return true
	})
	return b, err
}
