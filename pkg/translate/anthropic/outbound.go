package anthropic

import (
	"github.com/tidwall/gjson"

	"github.com/sluice-gw/sluice/pkg/gwerror"
	"github.com/sluice-gw/sluice/pkg/translate"
	"github.com/sluice-gw/sluice/pkg/translate/oaiwire"
	"github.com/sluice-gw/sluice/pkg/translate/rawjson"
)

// ToMessagesResponse converts an OpenAI chat.completion into a Message for
// a client that sent a Messages API request to a non-Anthropic provider.
func ToMessagesResponse(openaiResp []byte) ([]byte, error) {
	if !rawjson.Valid(openaiResp) {
		return nil, badOpenAIResponse()
	}
	root := gjson.ParseBytes(openaiResp)
	choice := root.Get("choices.0")
	if !root.IsObject() || !choice.IsObject() {
		return nil, badOpenAIResponse()
	}
	msg := choice.Get("message")
	b := make([]byte, 0, len(openaiResp)+128)
	b = append(b, '{')
	b = str(b, "id", root.Get("id").String())
	b = str(b, "type", "message")
	b = str(b, "role", "assistant")
	b = str(b, "model", root.Get("model").String())
	b = append(key(b, "content"), '[')
	for _, field := range [...]string{"content", "refusal"} {
		if t := msg.Get(field); t.Type == gjson.String && t.Str != "" {
			b = append(sep(b), '{')
			b = str(b, "type", "text")
			b = append(raw(b, "text", t.Raw), '}')
		}
	}
	msg.Get("tool_calls").ForEach(func(_, call gjson.Result) bool {
		b = append(sep(b), '{')
		b = str(b, "type", "tool_use")
		b = str(b, "id", call.Get("id").Str)
		b = str(b, "name", call.Get("function.name").Str)
		b = append(raw(b, "input", toolInput(call.Get("function.arguments").Str)), '}')
		return true
	})
	b = append(b, ']')
	b = str(b, "stop_reason", stopReason(choice.Get("finish_reason").Str))
	b = raw(b, "stop_sequence", "null")
	b = appendMessagesUsage(b, oaiwire.ParseUsage(root.Get("usage")))
	return append(b, '}'), nil
}

func badOpenAIResponse() error {
	return gwerror.New(gwerror.UpstreamError, "provider returned a malformed chat completion")
}

// toolInput turns an arguments string into a tool_use input, which must be
// an object. Arguments that are not (a model cut off mid-call) become {},
// as Anthropic itself reports an unfinished tool call.
func toolInput(args string) string {
	if gjson.Valid(args) && gjson.Parse(args).IsObject() {
		return args
	}
	return "{}"
}

// stopReason maps an OpenAI finish_reason. OpenAI does not say which stop
// sequence matched, so a stop is always end_turn.
func stopReason(finish string) string {
	switch finish {
	case "length":
		return "max_tokens"
	case "tool_calls", "function_call":
		return "tool_use"
	case "content_filter":
		return "refusal"
	}
	return "end_turn"
}

// appendMessagesUsage writes Anthropic usage, where input_tokens excludes
// the tokens read from the cache.
func appendMessagesUsage(b []byte, u translate.Usage) []byte {
	b = append(key(b, "usage"), '{')
	b = num(b, "input_tokens", u.InputTokens-u.CachedInputTokens-u.CacheWriteTokens)
	b = num(b, "cache_creation_input_tokens", u.CacheWriteTokens)
	b = num(b, "cache_read_input_tokens", u.CachedInputTokens)
	b = num(b, "output_tokens", u.OutputTokens)
	return append(b, '}')
}

// ErrorBody renders e in Anthropic's error shape, for clients that speak
// the Messages API: {"type":"error","error":{"type":...,"message":...}}.
func ErrorBody(e *gwerror.Error) []byte {
	b := make([]byte, 0, 96+len(e.Message))
	b = append(b, '{')
	b = str(b, "type", "error")
	b = append(key(b, "error"), '{')
	b = str(b, "type", errorType(e.HTTPStatus()))
	b = append(str(b, "message", e.Message), '}')
	return append(b, '}')
}

// errorType is Anthropic's error type for an HTTP status.
func errorType(status int) string {
	switch status {
	case 400, 422:
		return "invalid_request_error"
	case 401:
		return "authentication_error"
	case 402:
		return "billing_error"
	case 403:
		return "permission_error"
	case 404:
		return "not_found_error"
	case 413:
		return "request_too_large"
	case 429:
		return "rate_limit_error"
	case 503, 529:
		return "overloaded_error"
	case 504:
		return "timeout_error"
	}
	if status >= 400 && status < 500 {
		return "invalid_request_error"
	}
	return "api_error"
}

// appendErrorEvent appends an Anthropic `error` stream event.
func appendErrorEvent(dst []byte, e *gwerror.Error) []byte {
	dst = append(dst, "event: error\ndata: "...)
	dst = append(dst, ErrorBody(e)...)
	return append(dst, "\n\n"...)
}
