package bedrock

import (
	"bytes"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"

	"github.com/sluice-gw/sluice/pkg/translate"
	"github.com/sluice-gw/sluice/pkg/translate/translatetest"
)

// Seed corpora live in testdata/fuzz/<FuzzName>/, built from the golden
// fixtures (TestSeedCorpora keeps the stream seeds in step with them).

func FuzzRequest(f *testing.F) {
	f.Add([]byte(`{"messages":[{"role":"tool","tool_call_id":"x"}],"tool_choice":"none"}`), true)
	f.Fuzz(func(t *testing.T, body []byte, stream bool) {
		up, err := New().Request(&translate.Request{Op: translate.Chat, Body: body, Stream: stream}, target("m"))
		translatetest.CheckUpstream(t, up, err)
	})
}

func FuzzResponse(f *testing.F) {
	f.Add([]byte(`{"output":{"message":{"content":[{"toolUse":{"toolUseId":"a","name":"b","input":"x"}}]}}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		resp, err := New().Response(chatRequest(), body)
		translatetest.CheckResponse(t, resp, err)
	})
}

// FuzzStream checks that no byte stream panics, that the framer agrees
// with the SDK decoder, that output is always valid UTF-8 SSE with JSON
// events, and that splits never change output.
func FuzzStream(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte, seed uint64) {
		checkAgainstSDK(t, data)
		checkSplit(t, data, seed)
	})
}

// FuzzEvents reaches past the frame checksums, which random bytes almost
// never satisfy: it fuzzes event types and JSON payloads inside valid frames.
func FuzzEvents(f *testing.F) {
	f.Add("contentBlockDelta", []byte(`{"contentBlockIndex":0,"delta":{"text":"hi \ud83d"}}`),
		"contentBlockStart", []byte(`{"contentBlockIndex":1,"start":{"toolUse":{"toolUseId":"a","name":"f"}}}`), uint64(1))
	f.Add("contentBlockDelta", []byte(`{"contentBlockIndex":1,"delta":{"toolUse":{"input":"{\"a\":"}}}`),
		"metadata", []byte(`{"usage":{"inputTokens":1,"outputTokens":2}}`), uint64(2))
	f.Fuzz(func(t *testing.T, ev1 string, p1 []byte, ev2 string, p2 []byte, seed uint64) {
		var buf bytes.Buffer
		enc := eventstream.NewEncoder()
		for _, fr := range []struct {
			ev string
			p  []byte
		}{{"messageStart", []byte(`{"role":"assistant"}`)}, {ev1, p1}, {ev2, p2}, {"messageStop", []byte(`{"stopReason":"end_turn"}`)}} {
			var h eventstream.Headers
			h.Set(":message-type", eventstream.StringValue("event"))
			h.Set(":event-type", eventstream.StringValue(fr.ev))
			if err := enc.Encode(&buf, eventstream.Message{Headers: h, Payload: fr.p}); err != nil {
				t.Skip(err)
			}
		}
		data := buf.Bytes()
		checkAgainstSDK(t, data)
		checkSplit(t, data, seed)
	})
}

// checkSplit translates data whole and split at random points from seed:
// the output must be well-formed and the same both ways.
func checkSplit(t *testing.T, data []byte, seed uint64) {
	whole := translatetest.SplitsAgree(t, fixedStream("fuzz"), data, translatetest.SeededSplit(data, seed))
	checkStream(t, whole.Out)
}
