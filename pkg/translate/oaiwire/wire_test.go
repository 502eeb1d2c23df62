package oaiwire

import (
	"testing"

	"github.com/tidwall/gjson"

	"github.com/sluice-gw/sluice/pkg/gwerror"
	"github.com/sluice-gw/sluice/pkg/translate"
)

func TestAppendCompletion(t *testing.T) {
	b := AppendHead(nil, "chatcmpl-1", ObjectCompletion, 1700000000, "m")
	b = AppendChoice(append(b, `,"choices":[`...), Choice{
		Index:        1,
		Text:         "hi",
		ToolCalls:    AppendToolCall(nil, -1, "call_1", "f", `{"a":1}`),
		FinishReason: "tool_calls",
	})
	b = append(AppendUsage(append(b, "],"...), translate.Usage{InputTokens: 3, OutputTokens: 4, CachedInputTokens: 1, ReasoningTokens: 2}, 9), '}')
	want := `{"id":"chatcmpl-1","object":"chat.completion","created":1700000000,"model":"m","choices":[` +
		`{"index":1,"message":{"role":"assistant","content":"hi","tool_calls":[{"id":"call_1","type":"function","function":{"name":"f","arguments":"{\"a\":1}"}}]},"logprobs":null,"finish_reason":"tool_calls"}],` +
		`"usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":9,"prompt_tokens_details":{"cached_tokens":1},"completion_tokens_details":{"reasoning_tokens":2}}}`
	if string(b) != want {
		t.Fatalf("got  %s\nwant %s", b, want)
	}
}

func TestAppendChoiceVariants(t *testing.T) {
	tests := []struct {
		c    Choice
		want string
	}{
		{Choice{NullText: true, FinishReason: "content_filter"},
			`{"index":0,"message":{"role":"assistant","content":null},"logprobs":null,"finish_reason":"content_filter"}`},
		{Choice{NullRefusal: true, FinishReason: "stop"},
			`{"index":0,"message":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":"stop"}`},
	}
	for _, tc := range tests {
		if got := string(AppendChoice(nil, tc.c)); got != tc.want {
			t.Errorf("got  %s\nwant %s", got, tc.want)
		}
	}
}

func TestAppendToolCallInput(t *testing.T) {
	tests := []struct{ input, want string }{
		{"", `{"index":2,"id":"c","type":"function","function":{"name":"f","arguments":"{}"}}`},
		{"{\n  \"a\": [1, 2],\n  \"s\": \"x y\\\"\"\n}", `{"index":2,"id":"c","type":"function","function":{"name":"f","arguments":"{\"a\":[1,2],\"s\":\"x y\\\"\"}"}}`},
	}
	for _, tc := range tests {
		if got := string(AppendToolCallInput(nil, 2, "c", "f", tc.input)); got != tc.want {
			t.Errorf("got  %s\nwant %s", got, tc.want)
		}
	}
}

func TestAppendUsageWithoutReasoning(t *testing.T) {
	got := string(AppendUsageWithoutReasoning(nil, translate.Usage{InputTokens: 5, OutputTokens: 2, CachedInputTokens: 3}))
	want := `"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7,"prompt_tokens_details":{"cached_tokens":3}}`
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

func TestParseUsage(t *testing.T) {
	u := ParseUsage(gjson.Parse(`{"prompt_tokens":5,"completion_tokens":2,"prompt_tokens_details":{"cached_tokens":3},"completion_tokens_details":{"reasoning_tokens":1}}`))
	if u != (translate.Usage{InputTokens: 5, OutputTokens: 2, CachedInputTokens: 3, ReasoningTokens: 1}) {
		t.Fatalf("usage %+v", u)
	}
	if u := ParseUsage(gjson.Parse(`null`)); u != (translate.Usage{}) {
		t.Fatalf("usage %+v", u)
	}
}

func TestChunks(t *testing.T) {
	var c Chunks
	if c.Started() {
		t.Fatal("started before Start")
	}
	c.Start("chatcmpl-1", 7, "m")
	const head = `data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":7,"model":"m","choices":[`
	tests := []struct {
		name string
		got  []byte
		want string
	}{
		{"role", c.Role(nil, 1), head + `{"index":1,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}` + "\n\n"},
		{"content", c.Content(nil, 0, "a\"b"), head + `{"index":0,"delta":{"content":"a\"b"},"logprobs":null,"finish_reason":null}]}` + "\n\n"},
		{"empty content", c.Content(nil, 0, ""), ""},
		{"tool call", c.ToolCall(nil, 0, 3, "t", "f", ""), head + `{"index":0,"delta":{"tool_calls":[{"index":3,"id":"t","type":"function","function":{"name":"f","arguments":""}}]},"logprobs":null,"finish_reason":null}]}` + "\n\n"},
		{"arguments", c.Arguments(nil, 0, 3, `{"a"`), head + `{"index":0,"delta":{"tool_calls":[{"index":3,"function":{"arguments":"{\"a\""}}]},"logprobs":null,"finish_reason":null}]}` + "\n\n"},
		{"empty arguments", c.Arguments(nil, 0, 3, ""), ""},
		{"finish", c.Finish(nil, 0, "stop"), head + `{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}]}` + "\n\n"},
		{"usage", c.Usage(nil, translate.Usage{InputTokens: 1, OutputTokens: 2}, 0), head + `],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3,"prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}}}` + "\n\n"},
		{"usage without reasoning", c.UsageWithoutReasoning(nil, translate.Usage{InputTokens: 1}), head + `],"usage":{"prompt_tokens":1,"completion_tokens":0,"total_tokens":1,"prompt_tokens_details":{"cached_tokens":0}}}` + "\n\n"},
		{"done", AppendDone(nil), "data: [DONE]\n\n"},
		{"error", AppendError(nil, gwerror.New(gwerror.UpstreamError, "x")), `data: {"error":{"message":"x","type":"api_error","param":null,"code":"upstream_error"}}` + "\n\n"},
	}
	for _, tc := range tests {
		if string(tc.got) != tc.want {
			t.Errorf("%s:\ngot  %q\nwant %q", tc.name, tc.got, tc.want)
		}
	}
}
