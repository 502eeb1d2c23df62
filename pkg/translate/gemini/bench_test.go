package gemini

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/sluice-gw/sluice/pkg/translate"
)

// benchStream is a 200-event text stream, fed in 512-byte network chunks.
func benchStream() []byte {
	var b strings.Builder
	for i := range 200 {
		fmt.Fprintf(&b, `data: {"candidates":[{"content":{"parts":[{"text":"token %d with some text é"}],"role":"model"},"index":0}],"usageMetadata":{"promptTokenCount":10,"candidatesTokenCount":%d,"totalTokenCount":%d},"modelVersion":"gemini-2.5-flash","responseId":"abc"}`+"\r\n\r\n", i, i, i+10)
	}
	b.WriteString(`data: {"candidates":[{"content":{"parts":[{"text":"."}],"role":"model"},"finishReason":"STOP","index":0}],"modelVersion":"gemini-2.5-flash","responseId":"abc"}` + "\r\n\r\n")
	return []byte(b.String())
}

func BenchmarkStream(b *testing.B) {
	data := benchStream()
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
	tg := target("gemini-2.5-flash")
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tr.Request(req, tg); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkResponse(b *testing.B) {
	body, err := os.ReadFile("testdata/response/tool_calls.json")
	if err != nil {
		b.Fatal(err)
	}
	tr := New()
	req := responseRequest("chat")
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tr.Response(req, body); err != nil {
			b.Fatal(err)
		}
	}
}
