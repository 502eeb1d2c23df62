package anthropic

import (
	"fmt"
	"strings"

	"github.com/tidwall/gjson"

	"github.com/sluice-gw/sluice/pkg/gwerror"
	"github.com/sluice-gw/sluice/pkg/translate/oaiwire"
)

// FromMessages converts a Messages API request from a client that speaks
// Anthropic's format into an OpenAI chat request, for providers that are
// not Anthropic. Streams ask for the usage chunk, which NewMessagesStream
// needs to report output tokens in message_delta.
func FromMessages(body []byte) ([]byte, error) {
	root, err := oaiwire.ParseBody(body)
	if err != nil {
		return nil, err
	}
	var p msgParams
	if err = oaiwire.EachParam(root, p.set); err != nil {
		return nil, err
	}
	if !p.messages.IsArray() {
		return nil, gwerror.Param(gwerror.MissingField, "messages", "'messages' must be an array")
	}
	b := make([]byte, 0, len(body)+128)
	b = append(b, '{')
	b = raw(b, "model", orString(p.model))
	if b, err = appendOpenAIMessages(b, p.system, p.messages); err != nil {
		return nil, err
	}
	if b, err = p.appendOptions(b); err != nil {
		return nil, err
	}
	return append(b, '}'), nil
}

func orString(v gjson.Result) string {
	if v.Type == gjson.String {
		return v.Raw
	}
	return `""`
}

// msgParams views the members of a Messages request.
type msgParams struct {
	model, maxTokens, messages, system, stop, temperature, topP gjson.Result
	stream, userID, tools, toolChoice                           gjson.Result
}

// notExpressible is the 400 for a Messages parameter OpenAI chat lacks.
func notExpressible(param string) error {
	return gwerror.Param(gwerror.UnsupportedParam, param,
		"parameter '%s' cannot be translated to the OpenAI chat format", param)
}

func (p *msgParams) set(k string, v gjson.Result) error {
	switch k {
	case "model":
		p.model = v
	case "max_tokens":
		p.maxTokens = v
	case "messages":
		p.messages = v
	case "system":
		p.system = v
	case "stop_sequences":
		p.stop = v
	case "temperature":
		p.temperature = v
	case "top_p":
		p.topP = v
	case "stream":
		p.stream = v
	case "tools":
		p.tools = v
	case "tool_choice":
		p.toolChoice = v
	case "metadata":
		p.userID = v.Get("user_id")
	case "thinking":
		if v.Get("type").Str != "disabled" {
			return notExpressible(k)
		}
	case "service_tier":
		if v.Str != "auto" {
			return notExpressible(k)
		}
	default: // top_k, container, mcp_servers, context_management, ...
		return notExpressible(k)
	}
	return nil
}

func (p *msgParams) appendOptions(b []byte) ([]byte, error) {
	if p.maxTokens.Exists() {
		b = raw(b, "max_tokens", p.maxTokens.Raw)
	}
	for _, m := range [...]struct {
		name string
		v    gjson.Result
	}{{"temperature", p.temperature}, {"top_p", p.topP}, {"stop", p.stop}} {
		if m.v.Exists() {
			b = raw(b, m.name, m.v.Raw)
		}
	}
	if p.stream.Type == gjson.True {
		b = raw(b, "stream", "true")
		b = raw(b, "stream_options", `{"include_usage":true}`)
	}
	if p.userID.Type == gjson.String {
		b = raw(b, "user", p.userID.Raw)
	}
	var err error
	if b, err = appendFunctionTools(b, p.tools); err != nil {
		return nil, err
	}
	return appendOpenAIToolChoice(b, p.toolChoice)
}

// appendOpenAIMessages writes "messages": the system prompt first, then
// each turn. A user turn's tool_result blocks become tool messages ahead of
// the rest of the turn.
func appendOpenAIMessages(b []byte, system, messages gjson.Result) ([]byte, error) {
	b = append(key(b, "messages"), '[')
	if system.Exists() {
		text, err := joinText(system, "system")
		if err != nil {
			return nil, err
		}
		b = append(sep(b), '{')
		b = str(b, "role", "system")
		b = append(str(b, "content", text), '}')
	}
	var err error
	i := 0
	messages.ForEach(func(_, m gjson.Result) bool {
		path := fmt.Sprintf("messages[%d]", i)
		i++
		switch role := m.Get("role").Str; role {
		case "user":
			b, err = appendOpenAIUser(b, m.Get("content"), path+".content")
		case "assistant":
			b, err = appendOpenAIAssistant(b, m.Get("content"), path+".content")
		default:
			err = gwerror.Param(gwerror.InvalidRequest, path+".role", "unknown role '%s'", role)
		}
		return err == nil
	})
	if err != nil {
		return nil, err
	}
	return append(b, ']'), nil
}

// joinText flattens a string or an array of text blocks. Many
// OpenAI-compatible servers accept only string system and tool content.
func joinText(v gjson.Result, path string) (string, error) {
	if v.Type == gjson.String {
		return v.Str, nil
	}
	if !v.IsArray() {
		return "", gwerror.Param(gwerror.InvalidRequest, path, "'%s' must be a string or an array", path)
	}
	var sb strings.Builder
	var err error
	j := 0
	v.ForEach(func(_, blk gjson.Result) bool {
		if typ := blk.Get("type").Str; typ != "text" {
			err = gwerror.Param(gwerror.UnsupportedParam, fmt.Sprintf("%s[%d].type", path, j),
				"content block type '%s' cannot be translated to the OpenAI chat format here", typ)
			return false
		}
		if sb.Len() > 0 {
			sb.WriteByte('\n')
		}
		sb.WriteString(blk.Get("text").Str)
		j++
		return true
	})
	return sb.String(), err
}
