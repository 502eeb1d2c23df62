package guard

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/tidwall/gjson"

	"github.com/sluice-gw/sluice/pkg/config"
	"github.com/sluice-gw/sluice/pkg/pipeline"
	"github.com/sluice-gw/sluice/pkg/sse"
	"github.com/sluice-gw/sluice/pkg/translate"
	"github.com/sluice-gw/sluice/pkg/translate/openai"
	"github.com/sluice-gw/sluice/pkg/translate/translatetest"
)

// setup is what one guarded answer starts from.
type setup struct {
	guardrails *config.Guardrails
	pseudonyms map[string]string
	canary     string
	anthropic  bool
	stream     bool
	request    string // the request body, for response_format
}

func (s setup) exchange() *pipeline.Exchange {
	x := &pipeline.Exchange{
		RequestID:  "req-test",
		Config:     snapshotFor(s.guardrails),
		Translator: openai.New(translate.OpenAI),
		Status:     200,
		Streaming:  s.stream,
		API:        pipeline.APIChat,
	}
	x.Request.Op = translate.Chat
	x.Request.Stream = s.stream
	x.Request.Body = []byte(s.request)
	if s.anthropic {
		x.API = pipeline.APIMessages
	}
	x.Protect.Pseudonyms = s.pseudonyms
	x.Protect.Canary = s.canary
	return x
}

func quietStage() *Stage { return New(slog.New(slog.NewTextHandler(io.Discard, nil))) }

// Tests share one stage and one snapshot per guardrails value, so rules
// compile once, as they do in a running gateway.
var (
	sharedStage = quietStage()
	snapsMu     sync.Mutex
	snaps       = map[*config.Guardrails]*config.Snapshot{}
)

func snapshotFor(g *config.Guardrails) *config.Snapshot {
	snapsMu.Lock()
	defer snapsMu.Unlock()
	if s, ok := snaps[g]; ok {
		return s
	}
	s := &config.Snapshot{Guardrails: g}
	snaps[g] = s
	return s
}

// run passes chunks through a fresh stage and returns every chunk it
// released.
func run(t testing.TB, s setup, chunks [][]byte) ([][]byte, *pipeline.Exchange) {
	t.Helper()
	st := sharedStage
	x := s.exchange()
	ctx := context.Background()
	if err := st.OnResponseHeaders(ctx, x); err != nil {
		t.Fatal(err)
	}
	var outs [][]byte
	for i, c := range chunks {
		out, err := st.OnResponseBody(ctx, x, c, i == len(chunks)-1)
		if err != nil {
			t.Fatal(err)
		}
		outs = append(outs, bytes.Clone(out))
		translatetest.Spoil(out, c)
	}
	x.End(ctx)
	return outs, x
}

// chunkStream renders what the route stage sends for an OpenAI client:
// role chunk, one chunk per delta, the finish chunk, [DONE].
func chunkStream(deltas []string, finish string) []byte {
	var b []byte
	head := `{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m","choices":[`
	b = sse.AppendData(b, []byte(head+`{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}`))
	for _, d := range deltas {
		b = sse.AppendData(b, []byte(head+`{"index":0,"delta":{"content":`+jsonString(d)+`},"logprobs":null,"finish_reason":null}]}`))
	}
	b = sse.AppendData(b, []byte(head+`{"index":0,"delta":{},"logprobs":null,"finish_reason":"`+finish+`"}]}`))
	return append(b, sse.Done...)
}

// toolStream renders a tool call whose arguments arrive in deltas.
func toolStream(deltas []string) []byte {
	var b []byte
	head := `{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m","choices":[`
	b = sse.AppendData(b, []byte(head+`{"index":0,"delta":{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"send","arguments":""}}]},"finish_reason":null}]}`))
	for _, d := range deltas {
		b = sse.AppendData(b, []byte(head+`{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":`+jsonString(d)+`}}]},"finish_reason":null}]}`))
	}
	b = sse.AppendData(b, []byte(head+`{"index":0,"delta":{},"finish_reason":"tool_calls"}]}`))
	return append(b, sse.Done...)
}

// messagesStream renders an Anthropic Messages stream with one text block.
func messagesStream(deltas []string) []byte {
	var b []byte
	b = sse.AppendEvent(b, "message_start", []byte(`{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"m","content":[],"stop_reason":null,"usage":{"input_tokens":3,"output_tokens":0}}}`))
	b = sse.AppendEvent(b, "content_block_start", []byte(`{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`))
	for _, d := range deltas {
		b = sse.AppendEvent(b, "content_block_delta", []byte(`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":`+jsonString(d)+`}}`))
	}
	b = sse.AppendEvent(b, "content_block_stop", []byte(`{"type":"content_block_stop","index":0}`))
	b = sse.AppendEvent(b, "message_delta", []byte(`{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":9}}`))
	return sse.AppendEvent(b, "message_stop", []byte(`{"type":"message_stop"}`))
}

func jsonString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// seen is what a client makes of a stream.
type seen struct {
	content, args string
	finish        []string // finish reasons, or Anthropic stop reasons, in order
	errCode       string   // the error event's code (OpenAI) or type (Anthropic)
	done          bool     // [DONE] or message_stop was the last event
	afterEnd      bool     // an event came after the terminator
	events        int
}

func clientView(t testing.TB, out []byte) seen {
	t.Helper()
	var v seen
	var p sse.Parser
	ended := false
	err := p.Feed(out, func(ev sse.Event) error {
		v.events++
		if ended {
			v.afterEnd = true
		}
		data := string(ev.Data)
		if data == "[DONE]" {
			ended, v.done = true, true
			return nil
		}
		if !gjson.Valid(data) {
			t.Fatalf("released an event that is not JSON: %q", data)
		}
		root := gjson.Parse(data)
		switch {
		case root.Get("error.code").Exists() && root.Get("type").Str != "error":
			v.errCode = root.Get("error.code").Str
		case root.Get("type").Str == "error":
			v.errCode = root.Get("error.type").Str
		case root.Get("type").Str == "content_block_delta":
			v.content += root.Get("delta.text").Str
			v.args += root.Get("delta.partial_json").Str
		case root.Get("type").Str == "message_delta":
			v.finish = append(v.finish, root.Get("delta.stop_reason").Str)
		case root.Get("type").Str == "message_stop":
			ended, v.done = true, true
		}
		root.Get("choices").ForEach(func(_, ch gjson.Result) bool {
			v.content += ch.Get("delta.content").Str
			ch.Get("delta.tool_calls").ForEach(func(_, tc gjson.Result) bool {
				v.args += tc.Get("function.arguments").Str
				return true
			})
			if f := ch.Get("finish_reason"); f.Type == gjson.String {
				v.finish = append(v.finish, f.Str)
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return v
}
