package oaiwire

import (
	"github.com/tidwall/gjson"

	"github.com/sluice-gw/sluice/pkg/translate"
	"github.com/sluice-gw/sluice/pkg/translate/rawjson"
)

// ParseUsage reads an OpenAI usage object (chat or embeddings). Cached and
// reasoning tokens are subsets of prompt and completion tokens, as OpenAI
// reports them.
func ParseUsage(u gjson.Result) translate.Usage {
	if !u.IsObject() {
		return translate.Usage{}
	}
	var out translate.Usage
	rawjson.Each(u, func(k string, v gjson.Result) bool {
		switch k {
		case "prompt_tokens":
			out.InputTokens = v.Int()
		case "completion_tokens":
			out.OutputTokens = v.Int()
		case "prompt_tokens_details":
			out.CachedInputTokens = rawjson.Field(v, "cached_tokens").Int()
		case "completion_tokens_details":
			out.ReasoningTokens = rawjson.Field(v, "reasoning_tokens").Int()
		}
		return true
	})
	return out
}

// AppendUsage appends the member "usage":{…} with prompt, completion and
// total tokens, prompt_tokens_details.cached_tokens and
// completion_tokens_details.reasoning_tokens. total_tokens is the
// provider's own total, or prompt plus completion tokens when that is
// larger (a provider that reports no total passes 0).
func AppendUsage(dst []byte, u translate.Usage, total int64) []byte {
	return append(appendUsage(dst, u, total, true), '}')
}

// AppendUsageWithoutReasoning is AppendUsage without
// completion_tokens_details, for replies whose provider never reports
// reasoning tokens.
func AppendUsageWithoutReasoning(dst []byte, u translate.Usage) []byte {
	return append(appendUsage(dst, u, u.InputTokens+u.OutputTokens, false), '}')
}

func appendUsage(dst []byte, u translate.Usage, total int64, reasoning bool) []byte {
	t := max(u.InputTokens+u.OutputTokens, total)
	dst = rawjson.AppendInt(append(dst, `"usage":{"prompt_tokens":`...), u.InputTokens)
	dst = rawjson.AppendInt(append(dst, `,"completion_tokens":`...), u.OutputTokens)
	dst = rawjson.AppendInt(append(dst, `,"total_tokens":`...), t)
	dst = rawjson.AppendInt(append(dst, `,"prompt_tokens_details":{"cached_tokens":`...), u.CachedInputTokens)
	if reasoning {
		dst = rawjson.AppendInt(append(dst, `},"completion_tokens_details":{"reasoning_tokens":`...), u.ReasoningTokens)
	}
	return append(dst, '}')
}
