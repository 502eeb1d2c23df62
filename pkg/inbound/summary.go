package inbound

import (
	"unicode/utf8"

	"github.com/tidwall/gjson"

	"github.com/sluice-gw/sluice/pkg/pipeline"
)

// sampling lists the scalar parameters policies may reason about.
var sampling = []string{"temperature", "top_p", "n", "seed", "presence_penalty", "frequency_penalty", "top_k", "parallel_tool_calls", "reasoning_effort", "tool_choice"}

// summarize fills x.Summary from the parsed root in a single walk over the
// messages. It works for OpenAI chat and Anthropic Messages bodies alike:
// they differ only in where tool names and image parts live.
func summarize(x *pipeline.Exchange, root gjson.Result) {
	s := &x.Summary
	s.MaxTokens = int(root.Get("max_completion_tokens").Int())
	if s.MaxTokens == 0 {
		s.MaxTokens = int(root.Get("max_tokens").Int())
	}
	for _, name := range sampling {
		if v := root.Get(name); v.Exists() && v.Type != gjson.JSON && v.Type != gjson.Null {
			if s.Parameters == nil {
				s.Parameters = make(map[string]any, 4)
			}
			s.Parameters[name] = v.Value()
		}
	}
	if rf := root.Get("response_format.type"); rf.Type == gjson.String {
		if s.Parameters == nil {
			s.Parameters = make(map[string]any, 1)
		}
		s.Parameters["response_format"] = rf.Str
	}
	root.Get("tools").ForEach(func(_, t gjson.Result) bool {
		name := t.Get("function.name")
		if !name.Exists() {
			name = t.Get("name") // Anthropic
		}
		s.ToolNames = append(s.ToolNames, name.String())
		return true
	})
	root.Get("messages").ForEach(func(_, m gjson.Result) bool {
		s.MessageCount++
		content := m.Get("content")
		isUser := m.Get("role").Str == "user"
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
