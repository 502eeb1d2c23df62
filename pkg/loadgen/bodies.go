package loadgen

import (
	"encoding/json"
	"fmt"
	"strings"
)

// The bodies below are built once at start-up with encoding/json; none of
// this runs per request.

const (
	requestBodyBytes  = 2048 // the OpenAI chat request a client sends
	responseBodyBytes = 1024 // a non-streamed provider reply
	streamEvents      = 50   // provider SSE events in a streamed reply
)

// prose is filler text with realistic word lengths and punctuation, so
// escaping and token estimates see ordinary input.
const prose = "The gateway reads the request once, picks a backend from the model name, " +
	"rewrites the body for that provider and hands it back to the proxy. " +
	"Responses come back the same way, event by event when they stream. "

func fill(n int) string {
	var b strings.Builder
	for b.Len() < n {
		b.WriteString(prose)
	}
	return b.String()[:n]
}

type message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

type chatRequest struct {
	Model         string         `json:"model"`
	Messages      []message      `json:"messages"`
	Temperature   float64        `json:"temperature"`
	MaxTokens     int            `json:"max_tokens"`
	User          string         `json:"user"`
	Stream        bool           `json:"stream,omitempty"`
	StreamOptions map[string]any `json:"stream_options,omitempty"`
}

// chatRequestBody is a multi-turn chat request padded to requestBodyBytes.
func chatRequestBody(model string, stream bool) []byte {
	req := chatRequest{
		Model: model,
		Messages: []message{
			{"system", "You are a concise assistant for an engineering team. Answer in plain prose."},
			{"user", "How does an external processor see a request?"},
			{"assistant", fill(400)},
			{"user", ""},
		},
		Temperature: 0.2,
		MaxTokens:   512,
		User:        "bench-user-0042",
		Stream:      stream,
	}
	if stream {
		req.StreamOptions = map[string]any{"include_usage": true}
	}
	base := mustJSON(req)
	req.Messages[3].Content = fill(requestBodyBytes - len(base))
	return mustJSON(req)
}

// openAIResponseBody is a chat.completion with usage, padded to
// responseBodyBytes.
func openAIResponseBody(model string) []byte {
	body := func(content string) []byte {
		return fmt.Appendf(nil, `{"id":"chatcmpl-bench0001","object":"chat.completion","created":1735689600,`+
			`"model":%q,"system_fingerprint":"fp_bench","choices":[{"index":0,"message":{"role":"assistant",`+
			`"content":%s,"refusal":null},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":412,`+
			`"completion_tokens":160,"total_tokens":572,"prompt_tokens_details":{"cached_tokens":0},`+
			`"completion_tokens_details":{"reasoning_tokens":0}}}`, model, mustJSON(content))
	}
	base := body("")
	return body(fill(responseBodyBytes - len(base)))
}

// deltaTexts splits the reply into n pieces of a few words each.
func deltaTexts(n int) []string {
	words := strings.Fields(fill(900))
	out := make([]string, n)
	for i, w := range words {
		j := i * n / len(words)
		out[j] += w + " "
	}
	return out
}

// anthropicStream is one Anthropic Messages stream, one SSE event per
// element: message_start, content_block_start, the text deltas,
// content_block_stop, message_delta with usage, message_stop. Each event's
// members come in the order Anthropic's API writes them ("type" first),
// as a translator meets them in production; encoding/json would sort
// them.
func anthropicStream(model string) [][]byte {
	ev := func(name, data string) []byte {
		return fmt.Appendf(nil, "event: %s\ndata: %s\n\n", name, data)
	}
	out := [][]byte{
		ev("message_start", `{"type":"message_start","message":{"id":"msg_bench0001","type":"message","role":"assistant",`+
			`"model":`+string(mustJSON(model))+`,"content":[],"stop_reason":null,"stop_sequence":null,`+
			`"usage":{"input_tokens":412,"output_tokens":1}}}`),
		ev("content_block_start", `{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`),
	}
	// Five framing events around the deltas make streamEvents in all.
	for _, t := range deltaTexts(streamEvents - 5) {
		out = append(out, ev("content_block_delta",
			`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":`+string(mustJSON(t))+`}}`))
	}
	out = append(out,
		ev("content_block_stop", `{"type":"content_block_stop","index":0}`),
		ev("message_delta", `{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},`+
			`"usage":{"output_tokens":160}}`),
		ev("message_stop", `{"type":"message_stop"}`))
	return out
}

// openAIStream is one OpenAI chat.completion.chunk stream, one SSE event
// per element: the role chunk, the text deltas, the finish chunk, the usage
// chunk (the request asks for include_usage) and [DONE].
func openAIStream(model string) [][]byte {
	chunk := func(delta map[string]any, finish any) []byte {
		return fmt.Appendf(nil, "data: %s\n\n", mustJSON(map[string]any{
			"id": "chatcmpl-bench0001", "object": "chat.completion.chunk", "created": 1735689600,
			"model": model, "system_fingerprint": "fp_bench",
			"choices": []any{map[string]any{"index": 0, "delta": delta, "logprobs": nil, "finish_reason": finish}},
		}))
	}
	out := [][]byte{chunk(map[string]any{"role": "assistant", "content": "", "refusal": nil}, nil)}
	// Four framing events around the deltas make streamEvents in all.
	for _, t := range deltaTexts(streamEvents - 4) {
		out = append(out, chunk(map[string]any{"content": t}, nil))
	}
	out = append(out, chunk(map[string]any{}, "stop"))
	out = append(out, fmt.Appendf(nil, "data: %s\n\n", mustJSON(map[string]any{
		"id": "chatcmpl-bench0001", "object": "chat.completion.chunk", "created": 1735689600,
		"model": model, "system_fingerprint": "fp_bench", "choices": []any{},
		"usage": map[string]any{"prompt_tokens": 412, "completion_tokens": 160, "total_tokens": 572},
	})))
	return append(out, []byte("data: [DONE]\n\n"))
}

// mustJSON marshals values built in this file, which always encode.
func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("loadgen: encoding a built-in body: %v", err))
	}
	return b
}
