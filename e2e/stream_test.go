package e2e

import (
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/tidwall/gjson"

	fp "github.com/sluice-gw/sluice/e2e/fakeprovider"
)

// Every provider, streamed through the SDK and its accumulator, with and
// without stream_options.include_usage. The fakes cut their streams at
// awkward places (inside field names, runes and CRLFs), so the text only
// comes back whole if every translator reassembles events and runes.
func TestStream(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, p := range providers {
		t.Run(p.backend, func(t *testing.T) {
			t.Parallel()
			t.Run("usage", func(t *testing.T) { checkStream(t, e, p, true) })
			t.Run("no_usage", func(t *testing.T) { checkStream(t, e, p, false) })
		})
	}
}

func checkStream(t *testing.T, e *env, p provider, includeUsage bool) {
	t.Helper()
	marker := newMarker()
	params := openai.ChatCompletionNewParams{
		Model:    p.model,
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Say hello. " + marker)},
	}
	if includeUsage {
		params.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
	}
	acc, s := accumulate(t, e, params)
	if len(acc.Choices) == 0 {
		t.Fatalf("no choices accumulated from %d chunks", s.chunks)
	}
	c := acc.Choices[0]
	if c.Message.Content != fp.ReplyText {
		t.Errorf("streamed text = %q, want %q", c.Message.Content, fp.ReplyText)
	}
	if c.FinishReason != "stop" {
		t.Errorf("finish_reason = %q, want stop", c.FinishReason)
	}
	switch {
	case includeUsage && s.usageChunks != 1:
		t.Errorf("got %d usage chunks, want exactly 1 (stream_options.include_usage was requested)", s.usageChunks)
	case includeUsage && !s.lastHadUsage:
		t.Errorf("the usage chunk is not the last chunk")
	case includeUsage:
		checkUsage(t, p, s.usage)
	case s.usageChunks != 0:
		t.Errorf("got %d usage chunks, want none: the client did not ask for stream_options.include_usage", s.usageChunks)
	}
	r := e.upstream(t, p.backend, marker)
	checkChatRoute(t, p, r, true)
	checkCredential(t, p.backend, r)
}

// streamStats is what the chunks of one stream looked like.
type streamStats struct {
	chunks       int
	usageChunks  int
	lastHadUsage bool
	usage        openai.CompletionUsage
}

// accumulate streams params to the end, checking each chunk's shape.
func accumulate(t *testing.T, e *env, params openai.ChatCompletionNewParams) (openai.ChatCompletionAccumulator, streamStats) {
	t.Helper()
	stream := e.client.Chat.Completions.NewStreaming(ctxFor(t), params)
	defer stream.Close()
	var acc openai.ChatCompletionAccumulator
	var s streamStats
	for stream.Next() {
		ch := stream.Current()
		s.chunks++
		if !acc.AddChunk(ch) {
			t.Errorf("the SDK accumulator rejected chunk %d: %s", s.chunks, ch.RawJSON())
		}
		// Every chunk's shape is TestStreamFraming's job; here only what
		// the SDK needs to accumulate.
		if len(ch.Choices) > 0 && ch.Object != "chat.completion.chunk" {
			t.Errorf("chunk %d object = %q, want chat.completion.chunk", s.chunks, ch.Object)
		}
		s.lastHadUsage = ch.JSON.Usage.Valid()
		if s.lastHadUsage {
			s.usageChunks++
			s.usage = ch.Usage
			if len(ch.Choices) != 0 {
				t.Errorf("the usage chunk carries choices: %s", ch.RawJSON())
			}
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatalf("stream of %s failed after %d chunks: %v", params.Model, s.chunks, describe(err))
	}
	return acc, s
}

func TestStreamToolCalls(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, p := range providers {
		t.Run(p.backend, func(t *testing.T) {
			t.Parallel()
			marker := newMarker()
			acc, s := accumulate(t, e, openai.ChatCompletionNewParams{
				Model:    p.model,
				Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Weather in Zürich? " + marker)},
				Tools:    weatherTool(),
			})
			if len(acc.Choices) == 0 {
				t.Fatalf("no choices accumulated from %d chunks", s.chunks)
			}
			c := acc.Choices[0]
			if c.FinishReason != "tool_calls" {
				t.Errorf("finish_reason = %q, want tool_calls", c.FinishReason)
			}
			if len(c.Message.ToolCalls) != 1 {
				t.Fatalf("accumulated %d tool calls, want 1: %+v", len(c.Message.ToolCalls), c.Message)
			}
			tc := c.Message.ToolCalls[0]
			if tc.Function.Name != "get_weather" || tc.ID == "" {
				t.Errorf("tool call = {id %q, name %q}, want get_weather with an id", tc.ID, tc.Function.Name)
			}
			checkArguments(t, tc.Function.Arguments)
			checkChatRoute(t, p, e.upstream(t, p.backend, marker), true)
		})
	}
}

// The bytes of a translated stream: OpenAI's framing exactly, every event a
// chunk and the last one [DONE], whatever the provider's own format.
func TestStreamFraming(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, p := range providers {
		t.Run(p.backend, func(t *testing.T) {
			t.Parallel()
			body := mustJSON(t, map[string]any{
				"model": p.model, "stream": true,
				"messages": []any{map[string]any{"role": "user", "content": "Say hello. " + newMarker()}},
			})
			r := e.post(t, "/v1/chat/completions", body)
			if r.status != 200 {
				t.Fatalf("status = %d, want 200: %s", r.status, r.body)
			}
			if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
				t.Errorf("content-type = %q, want text/event-stream", ct)
			}
			events := parseSSE(t, r.body)
			if len(events) == 0 || events[len(events)-1].data != "[DONE]" {
				t.Fatalf("the stream does not end with data: [DONE]; events: %q", events)
			}
			var text strings.Builder
			for i, ev := range events[:len(events)-1] {
				checkChunkEvent(t, i, ev)
				text.WriteString(gjson.Get(ev.data, "choices.0.delta.content").String())
			}
			if text.String() != fp.ReplyText {
				t.Errorf("text = %q, want %q", text.String(), fp.ReplyText)
			}
		})
	}
}

// checkChunkEvent asserts one event of an OpenAI stream is a complete
// chat.completion.chunk: unnamed, with an id and a model, and with choices
// unless it is the usage chunk. Clients index choices[0] of every other
// chunk, so a provider's annotation-only chunk must not reach them.
func checkChunkEvent(t *testing.T, i int, ev sseEvent) {
	t.Helper()
	if ev.name != "" {
		t.Errorf("event %d has a name %q; OpenAI streams carry none", i, ev.name)
	}
	chunk := gjson.Parse(ev.data)
	switch {
	case !gjson.Valid(ev.data):
		t.Errorf("event %d is not JSON: %q", i, ev.data)
	case chunk.Get("error").Exists():
		t.Errorf("event %d is an error: %s", i, ev.data)
	case chunk.Get("object").String() != "chat.completion.chunk" || chunk.Get("id").String() == "" || chunk.Get("model").String() == "":
		t.Errorf("event %d is not a chat.completion.chunk with an id and a model: %s", i, ev.data)
	case !chunk.Get("choices.0").Exists() && !chunk.Get("usage").IsObject():
		t.Errorf("event %d has no choices and is not the usage chunk: %s", i, ev.data)
	}
}
