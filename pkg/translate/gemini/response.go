package gemini

import (
	"strings"

	"github.com/tidwall/gjson"

	"github.com/sluice-gw/sluice/pkg/gwerror"
	"github.com/sluice-gw/sluice/pkg/translate"
)

func malformed(what string) *gwerror.Error {
	return gwerror.New(gwerror.UpstreamError, "gemini returned %s", what)
}

// responseHead is the id and model every completion and chunk carries.
func (t *translator) responseHead(r gjson.Result, reqBody []byte) (id, model string) {
	id = chatIDPrefix
	if rid := r.Get("responseId").Str; rid != "" {
		id += rid
	} else {
		id += t.newID()
	}
	model = r.Get("modelVersion").Str
	if model == "" {
		model = gjson.GetBytes(reqBody, "model").Str
	}
	return id, model
}

func (t *translator) chatResponse(req *translate.Request, body []byte) (*translate.Response, error) {
	if !gjson.ValidBytes(body) {
		return nil, malformed("a response body that is not valid JSON")
	}
	r := gjson.ParseBytes(body)
	if e := r.Get("error"); e.IsObject() {
		return nil, errorFromJSON(0, nil, e)
	}
	cands := r.Get("candidates")
	block := r.Get("promptFeedback.blockReason")
	ncands := cands.Get("#").Int()
	if ncands == 0 && !block.Exists() {
		return nil, malformed("a response without candidates")
	}
	id, model := t.responseHead(r, req.Body)
	out := make([]byte, 0, len(body)+256)
	out = appendString(append(out, `{"id":`...), id)
	out = appendInt(append(out, `,"object":"chat.completion","created":`...), t.now().Unix())
	out = appendString(append(out, `,"model":`...), model)
	out = append(out, `,"choices":[`...)
	if ncands == 0 {
		// The prompt itself was blocked: one empty, filtered choice.
		out = append(out, `{"index":0,"message":{"role":"assistant","content":null},"logprobs":null,"finish_reason":"content_filter"}`...)
	}
	n := 0
	var err error
	cands.ForEach(func(_, c gjson.Result) bool {
		if n > 0 {
			out = append(out, ',')
		}
		out, err = t.appendChoice(out, c, n)
		n++
		return err == nil && n < maxCandidates
	})
	if err != nil {
		return nil, err
	}
	u, total := usageOf(r.Get("usageMetadata"))
	out = appendUsage(append(out, "],"...), u, total)
	return &translate.Response{Body: append(out, '}'), Usage: u}, nil
}

func (t *translator) appendChoice(dst []byte, c gjson.Result, n int) ([]byte, error) {
	idx := int64(n)
	if i := c.Get("index"); i.Exists() {
		idx = i.Int()
	}
	dst = appendInt(append(dst, `{"index":`...), idx)
	dst = append(dst, `,"message":{"role":"assistant","content":`...)
	var text strings.Builder
	calls := make([]byte, 0, 64)
	ncalls := 0
	var err error
	c.Get("content.parts").ForEach(func(_, p gjson.Result) bool {
		if p.Get("thought").Type == gjson.True {
			return true // thought summaries are not part of the answer
		}
		if txt := p.Get("text"); txt.Exists() {
			text.WriteString(txt.Str)
		}
		if fc := p.Get("functionCall"); fc.Exists() {
			if ncalls > 0 {
				calls = append(calls, ',')
			}
			calls, err = t.appendToolCall(calls, fc, p.Get("thoughtSignature").Str, -1)
			ncalls++
		}
		return err == nil
	})
	if err != nil {
		return nil, err
	}
	if text.Len() > 0 {
		dst = appendString(dst, text.String())
	} else {
		dst = append(dst, "null"...)
	}
	if ncalls > 0 {
		dst = append(append(append(dst, `,"tool_calls":[`...), calls...), ']')
	}
	dst = append(dst, `},"logprobs":null,"finish_reason":`...)
	dst = appendString(dst, finishReason(c.Get("finishReason").Str, ncalls > 0))
	return append(dst, '}'), nil
}

// appendToolCall writes one OpenAI tool call; index >= 0 adds the stream
// delta's "index" field.
func (t *translator) appendToolCall(dst []byte, fc gjson.Result, sig string, index int) ([]byte, error) {
	name := fc.Get("name")
	if name.Type != gjson.String || name.Str == "" {
		return nil, malformed("a functionCall without a name")
	}
	args := fc.Get("args")
	if args.Exists() && !args.IsObject() {
		return nil, malformed("a functionCall whose args are not an object")
	}
	dst = append(dst, '{')
	if index >= 0 {
		dst = append(appendInt(append(dst, `"index":`...), int64(index)), ',')
	}
	id := toolCallPrefix + t.newID()
	if sig != "" {
		id += sigMarker + sig
	}
	dst = appendString(append(dst, `"id":`...), id)
	dst = appendString(append(dst, `,"type":"function","function":{"name":`...), name.Str)
	raw := "{}"
	if args.Exists() {
		raw = string(appendCompact(make([]byte, 0, len(args.Raw)), args.Raw))
	}
	dst = appendString(append(dst, `,"arguments":`...), raw)
	return append(dst, "}}"...), nil
}

// finishReason maps Gemini's finishReason. Reasons with no OpenAI
// counterpart (OTHER, LANGUAGE, MALFORMED_FUNCTION_CALL, ...) end the
// choice as "stop".
func finishReason(reason string, toolCalls bool) string {
	switch reason {
	case "MAX_TOKENS":
		return "length"
	case "SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY",
		"IMAGE_PROHIBITED_CONTENT", "IMAGE_RECITATION":
		return "content_filter"
	}
	if toolCalls {
		return "tool_calls"
	}
	return "stop"
}

// usageOf reads usageMetadata and its totalTokenCount. Gemini counts
// thinking tokens apart from candidate tokens; OpenAI counts them inside
// completion_tokens.
func usageOf(u gjson.Result) (usage translate.Usage, total int64) {
	u.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "promptTokenCount", "toolUsePromptTokenCount":
			usage.InputTokens += v.Int()
		case "candidatesTokenCount":
			usage.OutputTokens += v.Int()
		case "thoughtsTokenCount":
			usage.OutputTokens += v.Int()
			usage.ReasoningTokens = v.Int()
		case "cachedContentTokenCount":
			usage.CachedInputTokens = v.Int()
		case "totalTokenCount":
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
