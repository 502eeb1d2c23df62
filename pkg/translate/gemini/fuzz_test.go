package gemini

import (
	"testing"

	"github.com/sluice-gw/sluice/pkg/translate"
	"github.com/sluice-gw/sluice/pkg/translate/translatetest"
)

// Seed corpora live in testdata/fuzz/<FuzzName>/, built from the golden
// fixtures; the inline seeds cover shapes the fixtures do not.

func FuzzRequest(f *testing.F) {
	f.Add([]byte(`{"messages":[{"role":"user","content":"hi"}],"response_format":{"type":"json_schema","json_schema":{"schema":{"$ref":"#/$defs/a","$defs":{"a":{"$ref":"#/$defs/a"}}}}}}`), false, false)
	f.Fuzz(func(t *testing.T, body []byte, embeddings, stream bool) {
		req := &translate.Request{Op: translate.Chat, Body: body, Stream: stream}
		if embeddings {
			req.Op = translate.Embeddings
		}
		up, err := New().Request(req, target("gemini-2.5-flash"))
		translatetest.CheckUpstream(t, up, err)
	})
}

func FuzzResponse(f *testing.F) {
	f.Add([]byte(`{"candidates":[{"index":99999999999,"content":{"parts":[{"functionCall":{"name":"f","args":{}}}]}}]}`), false)
	f.Fuzz(func(t *testing.T, body []byte, embeddings bool) {
		req := responseRequest("chat")
		if embeddings {
			req = responseRequest("embed_base64")
		}
		resp, err := New().Response(req, body)
		translatetest.CheckResponse(t, resp, err)
	})
}

// FuzzStream checks that no input panics, that output is always valid
// UTF-8 SSE with JSON events, and that how the input is split never
// changes the output.
func FuzzStream(f *testing.F) {
	f.Add([]byte("data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"\\ud83d\"}]},\"finishReason\":\"STOP\"}]}\n\n"), uint64(7))
	f.Fuzz(func(t *testing.T, data []byte, seed uint64) {
		whole := translatetest.SplitsAgree(t, fixedStream("fuzz"), data, translatetest.SeededSplit(data, seed))
		checkStream(t, whole.Out)
	})
}
