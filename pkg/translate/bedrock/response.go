package bedrock

import (
	"strings"

	"github.com/tidwall/gjson"

	"github.com/sluice-gw/sluice/pkg/gwerror"
	"github.com/sluice-gw/sluice/pkg/translate"
	"github.com/sluice-gw/sluice/pkg/translate/oaiwire"
	"github.com/sluice-gw/sluice/pkg/translate/rawjson"
)

func malformed(what string) *gwerror.Error {
	return gwerror.New(gwerror.UpstreamError, "bedrock returned %s", what)
}

func (t *translator) chatResponse(req *translate.Request, body []byte) (*translate.Response, error) {
	if !rawjson.Valid(body) {
		return nil, malformed("a response body that is not valid JSON")
	}
	r := gjson.ParseBytes(body)
	msg := r.Get("output.message")
	if !msg.IsObject() {
		return nil, malformed("a response without output.message")
	}
	var text strings.Builder
	calls := make([]byte, 0, 64)
	n := 0
	var err error
	msg.Get("content").ForEach(func(_, block gjson.Result) bool {
		if txt := block.Get("text"); txt.Type == gjson.String {
			text.WriteString(txt.Str)
		}
		// reasoningContent blocks are the model's private reasoning and
		// have no place in an OpenAI message.
		if use := block.Get("toolUse"); use.Exists() {
			id, name := use.Get("toolUseId").Str, use.Get("name").Str
			if id == "" || name == "" {
				err = malformed("a toolUse block without toolUseId or name")
				return false
			}
			if n > 0 {
				calls = append(calls, ',')
			}
			calls = oaiwire.AppendToolCallInput(calls, -1, id, name, use.Get("input").Raw)
			n++
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	// Converse returns no response id: one is generated.
	out := oaiwire.AppendHead(make([]byte, 0, len(body)+256), chatIDPrefix+t.newID(),
		oaiwire.ObjectCompletion, t.now().Unix(), gjson.GetBytes(req.Body, "model").Str)
	out = oaiwire.AppendChoice(append(out, `,"choices":[`...), oaiwire.Choice{
		Text:         text.String(),
		NullText:     text.Len() == 0,
		ToolCalls:    calls,
		FinishReason: finishReason(r.Get("stopReason").Str, n > 0),
	})
	u, total := usageOf(r.Get("usage"))
	out = oaiwire.AppendUsage(append(out, "],"...), u, total)
	return &translate.Response{Body: append(out, '}'), Usage: u}, nil
}

// finishReason maps Converse's stopReason.
func finishReason(reason string, toolCalls bool) string {
	switch reason {
	case "max_tokens", "model_context_window_exceeded":
		return "length"
	case "guardrail_intervened", "content_filtered":
		return "content_filter"
	case "tool_use":
		return "tool_calls"
	}
	if toolCalls {
		return "tool_calls"
	}
	return "stop"
}

// usageOf reads Converse usage. Bedrock counts prompt-cache reads and
// writes apart from inputTokens; OpenAI's prompt_tokens includes them, so
// they are added in, and cached_tokens reports the reads.
func usageOf(u gjson.Result) (usage translate.Usage, total int64) {
	u.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "inputTokens":
			usage.InputTokens += v.Int()
		case "outputTokens":
			usage.OutputTokens = v.Int()
		case "cacheReadInputTokens":
			usage.InputTokens += v.Int()
			usage.CachedInputTokens = v.Int()
		case "cacheWriteInputTokens":
			usage.InputTokens += v.Int()
			usage.CacheWriteTokens = v.Int()
		case "totalTokens":
			total = v.Int()
		}
		return true
	})
	return usage, total
}
