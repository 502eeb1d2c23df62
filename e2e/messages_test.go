package e2e

import (
	"strings"
	"testing"

	"github.com/tidwall/gjson"

	fp "github.com/sluice-gw/sluice/e2e/fakeprovider"
)

const anthropicVersion = "2023-06-01"

// messagesBody is an Anthropic Messages request.
func messagesBody(t *testing.T, model, marker string, stream bool) string {
	t.Helper()
	return mustJSON(t, map[string]any{
		"model": model, "max_tokens": 256, "stream": stream,
		"system":   "Answer in one line.",
		"messages": []any{map[string]any{"role": "user", "content": "Say hello. " + marker}},
	})
}

// postMessages calls /v1/messages the way Anthropic's SDKs do, with the
// gateway key in x-api-key.
func (e *env) postMessages(t *testing.T, body string) rawResponse {
	t.Helper()
	return e.post(t, "/v1/messages", body, "X-Api-Key", clientKey, "Anthropic-Version", anthropicVersion)
}

// Anthropic-native clients reach an Anthropic backend untouched but for the
// model and credentials, and get Anthropic's reply back as it was sent.
func TestMessagesPassthrough(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	t.Run("json", func(t *testing.T) {
		t.Parallel()
		marker := newMarker()
		sent := messagesBody(t, "claude", marker, false)
		r := e.postMessages(t, sent)
		if r.status != 200 {
			t.Fatalf("status = %d, want 200: %s", r.status, r.body)
		}
		body := gjson.ParseBytes(r.body)
		if body.Get("type").String() != "message" || body.Get("content.0.text").String() != fp.ReplyText {
			t.Errorf("reply is not the provider's message: %s", r.body)
		}
		checkAnthropicUsage(t, body.Get("usage"), true)
		up := e.upstream(t, fp.BackendAnthropic, marker)
		if up.Path != "/v1/messages" || up.Header.Get("Anthropic-Version") != anthropicVersion {
			t.Errorf("upstream %s with anthropic-version %q, want /v1/messages with %s", up.Path, up.Header.Get("Anthropic-Version"), anthropicVersion)
		}
		want := strings.Replace(sent, `"model":"claude"`, `"model":"claude-sonnet-4-5-20250929"`, 1)
		jsonEqual(t, "upstream body", string(up.Body), want)
		checkCredential(t, fp.BackendAnthropic, up)
	})
	t.Run("stream", func(t *testing.T) {
		t.Parallel()
		marker := newMarker()
		r := e.postMessages(t, messagesBody(t, "claude", marker, true))
		events := checkAnthropicStream(t, r)
		start := gjson.Get(events[0].data, "message.usage")
		if start.Get("cache_read_input_tokens").Int() != fp.CachedTokens {
			t.Errorf("message_start usage = %s, want the provider's cache counts", start.Raw)
		}
		checkCredential(t, fp.BackendAnthropic, e.upstream(t, fp.BackendAnthropic, marker))
	})
}

// Anthropic-native clients reach other providers too: the request is
// converted to the provider's API and the reply back to a Message.
func TestMessagesConverted(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, p := range providers {
		if p.backend == fp.BackendAnthropic {
			continue
		}
		t.Run(p.backend+"/json", func(t *testing.T) {
			t.Parallel()
			marker := newMarker()
			r := e.postMessages(t, messagesBody(t, p.model, marker, false))
			if r.status != 200 {
				t.Fatalf("status = %d, want 200: %s", r.status, r.body)
			}
			body := gjson.ParseBytes(r.body)
			for path, want := range map[string]string{
				"type": "message", "role": "assistant", "content.0.type": "text",
				"content.0.text": fp.ReplyText, "stop_reason": "end_turn",
			} {
				if got := body.Get(path).String(); got != want {
					t.Errorf("%s = %q, want %q; reply: %s", path, got, want, r.body)
				}
			}
			checkAnthropicUsage(t, body.Get("usage"), false)
			up := e.upstream(t, p.backend, marker)
			checkChatRoute(t, p, up, false)
			checkCredential(t, p.backend, up)
		})
		t.Run(p.backend+"/stream", func(t *testing.T) {
			t.Parallel()
			marker := newMarker()
			r := e.postMessages(t, messagesBody(t, p.model, marker, true))
			checkAnthropicStream(t, r)
			up := e.upstream(t, p.backend, marker)
			checkChatRoute(t, p, up, true)
			checkCredential(t, p.backend, up)
		})
	}
}

// checkAnthropicUsage asserts usage in Anthropic's accounting: input_tokens
// excludes cache reads and writes. exact is false where the provider does
// not split cache writes out, and only the sum is certain.
func checkAnthropicUsage(t *testing.T, u gjson.Result, exact bool) {
	t.Helper()
	in, read, write := u.Get("input_tokens").Int(), u.Get("cache_read_input_tokens").Int(), u.Get("cache_creation_input_tokens").Int()
	if in+read+write != fp.InputTokens || u.Get("output_tokens").Int() != fp.OutputTokens {
		t.Errorf("usage = %s, want %d input tokens in all and %d output tokens", u.Raw, fp.InputTokens, fp.OutputTokens)
	}
	if read != fp.CachedTokens {
		t.Errorf("usage.cache_read_input_tokens = %d, want %d; usage: %s", read, fp.CachedTokens, u.Raw)
	}
	if exact && write != fp.CacheWriteTokens {
		t.Errorf("usage.cache_creation_input_tokens = %d, want %d; usage: %s", write, fp.CacheWriteTokens, u.Raw)
	}
}

// checkAnthropicStream asserts an Anthropic event stream: named events
// whose name matches the payload's type, message_start first and
// message_stop last, the full text in text deltas, and end_turn.
func checkAnthropicStream(t *testing.T, r rawResponse) []sseEvent {
	t.Helper()
	if r.status != 200 {
		t.Fatalf("status = %d, want 200: %s", r.status, r.body)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		t.Errorf("content-type = %q, want text/event-stream", ct)
	}
	events := parseSSE(t, r.body)
	if len(events) < 2 {
		t.Fatalf("got %d events: %q", len(events), r.body)
	}
	var text strings.Builder
	stop := ""
	for i, ev := range events {
		typ := gjson.Get(ev.data, "type").String()
		if ev.name != typ {
			t.Errorf("event %d is named %q but its type is %q", i, ev.name, typ)
		}
		switch typ {
		case "content_block_delta":
			if gjson.Get(ev.data, "delta.type").String() == "text_delta" {
				text.WriteString(gjson.Get(ev.data, "delta.text").String())
			}
		case "message_delta":
			stop = gjson.Get(ev.data, "delta.stop_reason").String()
		case "error":
			t.Errorf("event %d is an error: %s", i, ev.data)
		}
	}
	if events[0].name != "message_start" || events[len(events)-1].name != "message_stop" {
		t.Errorf("events run from %q to %q, want message_start to message_stop", events[0].name, events[len(events)-1].name)
	}
	if text.String() != fp.ReplyText {
		t.Errorf("streamed text = %q, want %q", text.String(), fp.ReplyText)
	}
	if stop != "end_turn" {
		t.Errorf("message_delta stop_reason = %q, want end_turn", stop)
	}
	return events
}
