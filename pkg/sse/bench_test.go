package sse_test

import (
	"fmt"
	"testing"

	"github.com/sluice-gw/sluice/pkg/sse"
)

// BenchmarkFeed parses a 50-event chat completion stream, one event per
// chunk, as a provider sends it.
func BenchmarkFeed(b *testing.B) {
	var chunks [][]byte
	size := 0
	for i := range 50 {
		c := fmt.Appendf(nil, `data: {"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1735689600,`+
			`"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"content":"word %d of the answer "},"finish_reason":null}]}`+"\n\n", i)
		chunks = append(chunks, c)
		size += len(c)
	}
	count := func(sse.Event) error { return nil }
	b.ReportAllocs()
	b.SetBytes(int64(size))
	for b.Loop() {
		var p sse.Parser
		for _, c := range chunks {
			if err := p.Feed(c, count); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkFeedCR parses a body whose lines end in '\r' alone (the spec
// allows it), whole, as the accounting reads a stream that was cut: each
// line must not scan to the end of the body for a '\n'.
func BenchmarkFeedCR(b *testing.B) {
	var body []byte
	for i := 0; len(body) < 256<<10; i++ {
		body = fmt.Appendf(body, "data: {\"n\":%d}\r\r", i)
	}
	count := func(sse.Event) error { return nil }
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		var p sse.Parser
		if err := p.Feed(body, count); err != nil {
			b.Fatal(err)
		}
	}
}
