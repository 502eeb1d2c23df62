package bedrock

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"

	"github.com/sluice-gw/sluice/pkg/translate"
	"github.com/sluice-gw/sluice/pkg/translate/translatetest"
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

// BenchmarkStream feeds benchStream in 512-byte network chunks.
func BenchmarkStream(b *testing.B) {
	tr := New()
	req := &translate.Request{Op: translate.Chat, Body: []byte(`{"model":"m"}`), Stream: true, IncludeUsage: true}
	translatetest.BenchStream(b, func() translate.StreamTranslator { return tr.Stream(req) }, benchStream(b), 512)
}

func BenchmarkRequest(b *testing.B) {
	req := &translate.Request{Op: translate.Chat, Body: translatetest.ReadFile(b, "testdata/request/tools.json")}
	translatetest.BenchRequest(b, New(), req, target("anthropic.claude-3-5-sonnet-20240620-v1:0"))
}

func BenchmarkResponse(b *testing.B) {
	translatetest.BenchResponse(b, New(), chatRequest(), translatetest.ReadFile(b, "testdata/response/tool_use.json"))
}
