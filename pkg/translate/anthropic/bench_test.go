package anthropic

import (
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
