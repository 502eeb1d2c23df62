package anthropic

import (
	"strings"
	"testing"

	"github.com/sluice-gw/sluice/pkg/translate"
	"github.com/sluice-gw/sluice/pkg/translate/translatetest"
)

func BenchmarkRequest(b *testing.B) {
	for _, c := range translatetest.LoadRequestCases(b, "testdata/request") {
		if c.Name != "tools_roundtrip" && c.Name != "basic" {
			continue
		}
		b.Run(c.Name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(c.Request.Body)))
			for b.Loop() {
				req := c.Request
				if _, err := fixed.Request(&req, &c.Target); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRequestChat translates a request like make bench's: four
// turns in 2 KB, the last one long.
func BenchmarkRequestChat(b *testing.B) {
	prose := strings.Repeat("The gateway reads the request once, picks a backend from the model name, "+
		"and hands it back to the proxy. ", 20)
	body := []byte(`{"model":"claude","messages":[` +
		`{"role":"system","content":"You are a concise assistant for an engineering team. Answer in plain prose."},` +
		`{"role":"user","content":"How does an external processor see a request?"},` +
		`{"role":"assistant","content":"` + prose[:400] + `"},` +
		`{"role":"user","content":"` + prose[:1300] + `\n\"Quoted\" at the end."}],` +
		`"temperature":0.2,"max_tokens":512,"user":"bench-user-0042","stream":true,"stream_options":{"include_usage":true}}`)
	req := translate.Request{Op: translate.Chat, Stream: true, Body: body}
	target := translate.Target{Model: "claude-3-5-haiku-20241022"}
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		r := req
		if _, err := fixed.Request(&r, &target); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkStream(b *testing.B) {
	for _, name := range []string{"text_usage", "tools_thinking"} {
		input := translatetest.ReadFile(b, "testdata/stream/"+name+".sse")
		req := &translate.Request{Op: translate.Chat, Stream: true, IncludeUsage: true, Body: []byte(`{}`)}
		newStream := func() translate.StreamTranslator { return fixed.Stream(req) }
		b.Run(name, func(b *testing.B) { translatetest.BenchStream(b, newStream, input, 0) })
		b.Run(name+"/bytewise", func(b *testing.B) { translatetest.BenchStream(b, newStream, input, 1) })
	}
}

func BenchmarkMessagesStream(b *testing.B) {
	input := translatetest.ReadFile(b, "testdata/messages/stream/tools.sse")
	b.ReportAllocs()
	b.SetBytes(int64(len(input)))
	for b.Loop() {
		if _, err := NewMessagesStream().Feed(input, true); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPassthroughStream(b *testing.B) {
	input := translatetest.ReadFile(b, "testdata/stream/text_usage.sse")
	newStream := func() translate.StreamTranslator { return NewPassthroughStream() }
	b.Run("text_usage", func(b *testing.B) { translatetest.BenchStream(b, newStream, input, 0) })
}

// BenchmarkStreamEvent feeds one text delta at a time, as Envoy hands a
// stream over: the cost of most of a stream's events.
func BenchmarkStreamEvent(b *testing.B) {
	req := &translate.Request{Op: translate.Chat, Stream: true, IncludeUsage: true, Body: []byte(`{}`)}
	st := fixed.Stream(req)
	for _, ev := range []string{
		`event: message_start` + "\n" + `data: {"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"m","content":[],"usage":{"input_tokens":4,"output_tokens":1}}}` + "\n\n",
		`event: content_block_start` + "\n" + `data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}` + "\n\n",
	} {
		if _, err := st.Feed([]byte(ev), false); err != nil {
			b.Fatal(err)
		}
	}
	ev := []byte(`event: content_block_delta` + "\n" + `data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":" the gateway reads"}}` + "\n\n")
	b.ReportAllocs()
	b.SetBytes(int64(len(ev)))
	for b.Loop() {
		if _, err := st.Feed(ev, false); err != nil {
			b.Fatal(err)
		}
	}
}
