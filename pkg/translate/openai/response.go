package openai

import (
	"github.com/tidwall/gjson"

	"github.com/sluice-gw/sluice/pkg/gwerror"
	"github.com/sluice-gw/sluice/pkg/translate"
)

// Response passes the body through untouched and reads its usage.
func (tr *translator) Response(_ *translate.Request, body []byte) (*translate.Response, error) {
	if !gjson.ValidBytes(body) || !isObject(body) {
		return nil, gwerror.New(gwerror.UpstreamError, "provider %s returned a malformed response body", tr.provider)
	}
	return &translate.Response{Body: body, Usage: ParseUsage(gjson.GetBytes(body, "usage"))}, nil
}

// ParseUsage reads an OpenAI usage object (chat or embeddings). Cached and
// reasoning tokens are subsets of prompt and completion tokens, as OpenAI
// reports them.
func ParseUsage(u gjson.Result) translate.Usage {
	if !u.IsObject() {
		return translate.Usage{}
	}
	var out translate.Usage
	u.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "prompt_tokens":
			out.InputTokens = v.Int()
		case "completion_tokens":
			out.OutputTokens = v.Int()
		case "prompt_tokens_details":
			out.CachedInputTokens = v.Get("cached_tokens").Int()
		case "completion_tokens_details":
			out.ReasoningTokens = v.Get("reasoning_tokens").Int()
		}
		return true
	})
	return out
}
