package bedrock

import (
	"strings"

	"github.com/tidwall/gjson"

	"github.com/sluice-gw/sluice/pkg/gwerror"
	"github.com/sluice-gw/sluice/pkg/translate"
)

func malformed(what string) *gwerror.Error {
	return gwerror.New(gwerror.UpstreamError, "bedrock returned %s", what)
}

// head is the start of every completion and chunk object.
func (t *translator) head(dst []byte, object string, reqBody []byte) []byte {
	dst = appendString(append(dst, `{"id":`...), chatIDPrefix+t.newID())
	dst = append(append(append(dst, `,"object":"`...), object...), `","created":`...)
	dst = appendInt(dst, t.now().Unix())
	return appendString(append(dst, `,"model":`...), gjson.GetBytes(reqBody, "model").Str)
}

func (t *translator) chatResponse(req *translate.Request, body []byte) (*translate.Response, error) {
	if !gjson.ValidBytes(body) {
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
			if n > 0 {
				calls = append(calls, ',')
			}
			calls, err = appendToolCall(calls, use)
			n++
		}
		return err == nil
	})
	if err != nil {
		return nil, err
	}
	out := t.head(make([]byte, 0, len(body)+256), "chat.completion", req.Body)
	out = append(out, `,"choices":[{"index":0,"message":{"role":"assistant","content":`...)
	if text.Len() > 0 {
		out = appendString(out, text.String())
	} else {
		out = append(out, "null"...)
	}
	if n > 0 {
		out = append(append(append(out, `,"tool_calls":[`...), calls...), ']')
	}
	out = append(out, `},"logprobs":null,"finish_reason":`...)
	out = appendString(out, finishReason(r.Get("stopReason").Str, n > 0))
	u, total := usageOf(r.Get("usage"))
	out = appendUsage(append(out, "}],"...), u, total)
	return &translate.Response{Body: append(out, '}'), Usage: u}, nil
}

func appendToolCall(dst []byte, use gjson.Result) ([]byte, error) {
	id, name, input := use.Get("toolUseId"), use.Get("name"), use.Get("input")
	if id.Str == "" || name.Str == "" {
		return nil, malformed("a toolUse block without toolUseId or name")
	}
	dst = appendString(append(dst, `{"id":`...), id.Str)
	dst = appendString(append(dst, `,"type":"function","function":{"name":`...), name.Str)
	args := "{}"
	if input.Exists() {
		args = string(appendCompact(make([]byte, 0, len(input.Raw)), input.Raw))
	}
	return append(appendString(append(dst, `,"arguments":`...), args), "}}"...), nil
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

// appendUsage writes `"usage":{...}`.
func appendUsage(dst []byte, u translate.Usage, total int64) []byte {
	t := max(u.InputTokens+u.OutputTokens, total)
	dst = appendInt(append(dst, `"usage":{"prompt_tokens":`...), u.InputTokens)
	dst = appendInt(append(dst, `,"completion_tokens":`...), u.OutputTokens)
	dst = appendInt(append(dst, `,"total_tokens":`...), t)
	dst = appendInt(append(dst, `,"prompt_tokens_details":{"cached_tokens":`...), u.CachedInputTokens)
	dst = appendInt(append(dst, `},"completion_tokens_details":{"reasoning_tokens":`...), u.ReasoningTokens)
	return append(dst, "}}"...)
}
