package inbound

import (
	"unicode/utf8"

	"github.com/tidwall/gjson"

	"github.com/sluice-gw/sluice/pkg/pipeline"
	"github.com/sluice-gw/sluice/pkg/translate/rawjson"
)

// sampling lists the scalar parameters policies may reason about.
var sampling = map[string]bool{
	"temperature": true, "top_p": true, "n": true, "seed": true, "presence_penalty": true,
	"frequency_penalty": true, "top_k": true, "parallel_tool_calls": true, "reasoning_effort": true,
	"tool_choice": true,
}

// walk reads every top-level member once; a later duplicate wins, as it
// does in the JSON decoders providers use.
func walk(x *pipeline.Exchange, members []rawjson.Member) fields {
	var f fields
	s := &x.Summary
	for _, m := range members {
		k, v := m.Key, m.Value()
		switch k {
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
			if sampling[k] && v.Type != gjson.JSON && v.Type != gjson.Null {
				setParam(s, k, v.Value())
			}
		}
	}
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
	var role, content gjson.Result // of the message being read
	n := 0
	rawjson.EachElement(msgs, func(int) {
		if n > 0 {
			summarizeMessage(s, role, content)
		}
		n++
		role, content = gjson.Result{}, gjson.Result{}
	}, func(k string, v gjson.Result) {
		switch k {
		case "role":
			role = v
		case "content":
			content = v
		}
	})
	if n > 0 {
		summarizeMessage(s, role, content)
	}
	s.MessageCount += n
	return s.MessageCount > 0
}

// summarizeMessage takes one message's images and, from a user, its text.
func summarizeMessage(s *pipeline.Summary, role, content gjson.Result) {
	isUser := role.Str == "user"
	if content.Type == gjson.String {
		if isUser {
			s.LastUserMessage = excerpt(content.Str)
		}
		return
	}
	if text := summarizeParts(s, content); isUser && text != "" {
		s.LastUserMessage = excerpt(text)
	}
}

// summarizeParts counts the images among a message's content parts and
// returns the text of its first text part.
func summarizeParts(s *pipeline.Summary, content gjson.Result) string {
	text := ""
	rawjson.Each(content, func(_ string, part gjson.Result) bool {
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
	return text
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
