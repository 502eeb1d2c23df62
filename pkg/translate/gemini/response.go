package gemini

import (
	"strings"

	"github.com/tidwall/gjson"

	"github.com/sluice-gw/sluice/pkg/gwerror"
	"github.com/sluice-gw/sluice/pkg/translate"
	"github.com/sluice-gw/sluice/pkg/translate/oaiwire"
	"github.com/sluice-gw/sluice/pkg/translate/rawjson"
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
	if !rawjson.Valid(body) {
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
	out := oaiwire.AppendHead(make([]byte, 0, len(body)+256), id, oaiwire.ObjectCompletion, t.now().Unix(), model)
	out = append(out, `,"choices":[`...)
	if ncands == 0 {
		// The prompt itself was blocked: one empty, filtered choice.
		out = oaiwire.AppendChoice(out, oaiwire.Choice{NullText: true, FinishReason: "content_filter"})
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
	out = oaiwire.AppendUsage(append(out, "],"...), u, total)
	return &translate.Response{Body: append(out, '}'), Usage: u}, nil
}

func (t *translator) appendChoice(dst []byte, c gjson.Result, n int) ([]byte, error) {
	idx := int64(n)
	if i := c.Get("index"); i.Exists() {
		idx = i.Int()
	}
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
	return oaiwire.AppendChoice(dst, oaiwire.Choice{
		Index:        idx,
		Text:         text.String(),
		NullText:     text.Len() == 0,
		ToolCalls:    calls,
		FinishReason: finishReason(c.Get("finishReason").Str, ncalls > 0),
	}), nil
}

// appendToolCall writes one OpenAI tool call with a generated id that
// carries the part's thought signature; index >= 0 adds the stream
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
	id := toolCallPrefix + t.newID()
	if sig != "" {
		id += sigMarker + sig
	}
	return oaiwire.AppendToolCallInput(dst, index, id, name.Str, args.Raw), nil
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
