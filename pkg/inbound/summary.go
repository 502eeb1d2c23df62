package inbound

import (
	"unicode/utf8"

	"github.com/tidwall/gjson"

	"github.com/sluice-gw/sluice/pkg/pipeline"
)

// sampling lists the scalar parameters policies may reason about.
var sampling = map[string]bool{
	"temperature": true, "top_p": true, "n": true, "seed": true, "presence_penalty": true,
	"frequency_penalty": true, "top_k": true, "parallel_tool_calls": true, "reasoning_effort": true,
	"tool_choice": true,
}

// walk reads every top-level member once. Each gjson.Get would rescan the
// body from its start; one ForEach over the object does not.
func walk(x *pipeline.Exchange, root gjson.Result) fields {
	var f fields
	s := &x.Summary
	root.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "model":
			f.model = v
		case "stream":
			f.stream = v
		case "stream_options":
			x.Request.IncludeUsage = v.Get("include_usage").Type == gjson.True
		case "messages":
			f.messages = v
		case "input":
			f.input = v
		case "tools":
			f.tools = v
		case "prompt":
			f.prompt = v
		case "max_completion_tokens":
			s.MaxTokens = int(v.Int()) // wins over the older max_tokens
		case "max_tokens":
			if s.MaxTokens == 0 {
				s.MaxTokens = int(v.Int())
			}
		case "response_format":
			if t := v.Get("type"); t.Type == gjson.String {
				setParam(s, "response_format", t.Str)
			}
		default:
			if sampling[k.Str] && v.Type != gjson.JSON && v.Type != gjson.Null {
				setParam(s, k.Str, v.Value())
			}
		}
		return true
	})
	return f
}

func setParam(s *pipeline.Summary, k string, v any) {
	if s.Parameters == nil {
		s.Parameters = make(map[string]any, 4)
	}
	s.Parameters[k] = v
}

func summarizeTools(s *pipeline.Summary, tools gjson.Result) {
	tools.ForEach(func(_, t gjson.Result) bool {
		name := t.Get("function.name")
		if !name.Exists() {
			name = t.Get("name") // Anthropic
		}
		s.ToolNames = append(s.ToolNames, name.String())
		return true
	})
}

// summarizeMessages counts messages and images and keeps the last user
// text, in one walk. It works for OpenAI chat and Anthropic Messages
// bodies alike. It reports whether there was at least one message.
func summarizeMessages(s *pipeline.Summary, msgs gjson.Result) bool {
	msgs.ForEach(func(_, m gjson.Result) bool {
		s.MessageCount++
		var role, content gjson.Result
		m.ForEach(func(k, v gjson.Result) bool {
			switch k.Str {
			case "role":
				role = v
			case "content":
				content = v
			}
			return true
		})
		isUser := role.Str == "user"
		if content.Type == gjson.String {
			if isUser {
				s.LastUserMessage = excerpt(content.Str)
			}
			return true
		}
		text := ""
		content.ForEach(func(_, part gjson.Result) bool {
			switch part.Get("type").Str {
			case "text":
				if text == "" {
					text = part.Get("text").Str
				}
			case "image_url", "image":
				s.Images++
			}
			return true
		})
		if isUser && text != "" {
			s.LastUserMessage = excerpt(text)
		}
		return true
	})
	return s.MessageCount > 0
}

func excerpt(s string) string {
	if len(s) <= pipeline.LastUserMessageMax {
		return s
	}
	i := pipeline.LastUserMessageMax
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i]
}
