package gemini

import (
	"fmt"
	"strings"
	"testing"

	"github.com/sluice-gw/sluice/pkg/translate"
	"github.com/sluice-gw/sluice/pkg/translate/translatetest"
)

// benchStream is a 200-event text stream.
func benchStream() []byte {
	var b strings.Builder
	for i := range 200 {
		fmt.Fprintf(&b, `data: {"candidates":[{"content":{"parts":[{"text":"token %d with some text é"}],"role":"model"},"index":0}],"usageMetadata":{"promptTokenCount":10,"candidatesTokenCount":%d,"totalTokenCount":%d},"modelVersion":"gemini-2.5-flash","responseId":"abc"}`+"\r\n\r\n", i, i, i+10)
	}
	b.WriteString(`data: {"candidates":[{"content":{"parts":[{"text":"."}],"role":"model"},"finishReason":"STOP","index":0}],"modelVersion":"gemini-2.5-flash","responseId":"abc"}` + "\r\n\r\n")
	return []byte(b.String())
}

// BenchmarkStream feeds benchStream in 512-byte network chunks.
func BenchmarkStream(b *testing.B) {
	tr := New()
	req := &translate.Request{Op: translate.Chat, Body: []byte(`{"model":"m"}`), Stream: true, IncludeUsage: true}
	translatetest.BenchStream(b, func() translate.StreamTranslator { return tr.Stream(req) }, benchStream(), 512)
}

func BenchmarkRequest(b *testing.B) {
	req := &translate.Request{Op: translate.Chat, Body: translatetest.ReadFile(b, "testdata/request/tools.json")}
	translatetest.BenchRequest(b, New(), req, target("gemini-2.5-flash"))
}

func BenchmarkResponse(b *testing.B) {
	translatetest.BenchResponse(b, New(), responseRequest("chat"), translatetest.ReadFile(b, "testdata/response/tool_calls.json"))
}
