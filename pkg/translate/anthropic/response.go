package anthropic

import (
	"github.com/tidwall/gjson"

	"github.com/sluice-gw/sluice/pkg/gwerror"
	"github.com/sluice-gw/sluice/pkg/translate"
	"github.com/sluice-gw/sluice/pkg/translate/oaiwire"
	"github.com/sluice-gw/sluice/pkg/translate/rawjson"
)

// Response turns a Message into an OpenAI chat.completion.
func (tr *translator) Response(req *translate.Request, body []byte) (*translate.Response, error) {
	if !rawjson.Valid(body) {
		return nil, malformed()
	}
	root := gjson.ParseBytes(body)
	if !root.IsObject() {
		return nil, malformed()
	}
	forced := ""
	if req != nil {
		forced = forcedToolName(req.Body)
	}
	text, calls, sawForced := readContent(root.Get("content"), forced)
	usage := parseUsage(root.Get("usage"))

	b := make([]byte, 0, len(body)+256)
	b = oaiwire.AppendHead(b, root.Get("id").String(), oaiwire.ObjectCompletion, tr.now().Unix(), root.Get("model").String())
	b = oaiwire.AppendChoice(append(b, `,"choices":[`...), oaiwire.Choice{
		Text:         string(text),
		NullText:     len(text) == 0 && len(calls) > 0,
		ToolCalls:    calls,
		NullRefusal:  true,
		FinishReason: finishReason(root.Get("stop_reason").Str, sawForced && len(calls) == 0),
	})
	b = oaiwire.AppendUsageWithoutReasoning(append(b, "],"...), usage)
	return &translate.Response{Body: append(b, '}'), Usage: usage}, nil
}

func malformed() error {
	return gwerror.New(gwerror.UpstreamError, "provider anthropic returned a malformed response body")
}

// readContent concatenates text blocks and renders tool_use blocks as
// OpenAI tool calls. The forced response_format tool becomes text. Thinking
// and server-tool blocks have no place in a chat completion and are left out.
func readContent(content gjson.Result, forced string) (text, calls []byte, sawForced bool) {
	content.ForEach(func(_, blk gjson.Result) bool {
		switch blk.Get("type").Str {
		case "text":
			text = append(text, blk.Get("text").Str...)
		case "tool_use":
			name, input := blk.Get("name").Str, blk.Get("input").Raw
			if input == "" {
				input = "{}"
			}
			if forced != "" && name == forced {
				text, sawForced = append(text, input...), true
				return true
			}
			if len(calls) > 0 {
				calls = append(calls, ',')
			}
			calls = oaiwire.AppendToolCall(calls, -1, blk.Get("id").Str, name, input)
		}
		return true
	})
	return text, calls, sawForced
}

// finishReason maps Anthropic's stop_reason. A forced response_format tool
// call is the answer itself, so it stops like a normal reply.
func finishReason(stop string, answeredByForcedTool bool) string {
	switch stop {
	case "max_tokens", "model_context_window_exceeded":
		return "length"
	case "tool_use":
		if answeredByForcedTool {
			return "stop"
		}
		return "tool_calls"
	case "refusal":
		return "content_filter"
	}
	return "stop" // end_turn, stop_sequence, pause_turn, and anything newer
}

// counts are Anthropic's usage fields as last reported.
type counts struct{ input, output, cacheRead, cacheWrite int64 }

// update overwrites the counts present in u: Anthropic reports cumulative
// values, never increments.
func (c *counts) update(u gjson.Result) {
	u.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "input_tokens":
			c.input = v.Int()
		case "output_tokens":
			c.output = v.Int()
		case "cache_read_input_tokens":
			c.cacheRead = v.Int()
		case "cache_creation_input_tokens":
			c.cacheWrite = v.Int()
		}
		return true
	})
}

// usage follows OpenAI's convention: InputTokens counts every prompt
// token, cache reads and writes included; CachedInputTokens and
// CacheWriteTokens say how many of them were which.
func (c counts) usage() translate.Usage {
	return translate.Usage{
		InputTokens:       c.input + c.cacheRead + c.cacheWrite,
		OutputTokens:      c.output,
		CachedInputTokens: c.cacheRead,
		CacheWriteTokens:  c.cacheWrite,
	}
}

func parseUsage(u gjson.Result) translate.Usage {
	var c counts
	c.update(u)
	return c.usage()
}
