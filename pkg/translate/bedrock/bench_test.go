package bedrock

import (
	"bytes"
	"fmt"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"

	"github.com/sluice-gw/sluice/pkg/translate"
)

// benchStream is a 200-delta ConverseStream reply.
func benchStream(b *testing.B) []byte {
	var buf bytes.Buffer
	enc := eventstream.NewEncoder()
	frame := func(event, payload string) {
		var h eventstream.Headers
		h.Set(":event-type", eventstream.StringValue(event))
		h.Set(":content-type", eventstream.StringValue("application/json"))
		h.Set(":message-type", eventstream.StringValue("event"))
		if err := enc.Encode(&buf, eventstream.Message{Headers: h, Payload: []byte(payload)}); err != nil {
			b.Fatal(err)
		}
	}
	frame("messageStart", `{"p":"abcdefghijklmnopqrstuvwxyz","role":"assistant"}`)
	for i := range 200 {
		frame("contentBlockDelta", fmt.Sprintf(`{"contentBlockIndex":0,"delta":{"text":"token %d with some text é"},"p":"abcdefghijklmnop"}`, i))
	}
	frame("contentBlockStop", `{"contentBlockIndex":0,"p":"abcdefghijklmnopqrstuvwxy"}`)
	frame("messageStop", `{"p":"abcdefghijklmn","stopReason":"end_turn"}`)
	frame("metadata", `{"metrics":{"latencyMs":400},"p":"abcdefghijklmnopqrstuvwxyz","usage":{"inputTokens":10,"outputTokens":600,"totalTokens":610}}`)
	return buf.Bytes()
}

func BenchmarkStream(b *testing.B) {
	data := benchStream(b)
	tr := New()
	req := &translate.Request{Op: translate.Chat, Body: []byte(`{"model":"m"}`), Stream: true, IncludeUsage: true}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		st := tr.Stream(req)
		for off := 0; off < len(data); off += 512 {
			end := min(off+512, len(data))
			if _, err := st.Feed(data[off:end], end == len(data)); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func BenchmarkRequest(b *testing.B) {
	body, err := os.ReadFile("testdata/request/tools.json")
	if err != nil {
		b.Fatal(err)
	}
	tr := New()
	req := &translate.Request{Op: translate.Chat, Body: body}
	tg := target("anthropic.claude-3-5-sonnet-20240620-v1:0")
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tr.Request(req, tg); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkResponse(b *testing.B) {
	body, err := os.ReadFile("testdata/response/tool_use.json")
	if err != nil {
		b.Fatal(err)
	}
	tr := New()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tr.Response(chatRequest(), body); err != nil {
			b.Fatal(err)
		}
	}
}
