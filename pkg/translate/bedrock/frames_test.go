package bedrock

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
	"github.com/google/go-cmp/cmp"

	"github.com/sluice-gw/sluice/pkg/translate/translatetest"
)

type decoded struct {
	Headers map[string]string
	Payload string
}

func sdkHeaders(m eventstream.Message) map[string]string {
	out := map[string]string{}
	for _, h := range m.Headers {
		if v, ok := h.Value.(eventstream.StringValue); ok {
			switch h.Name {
			case ":message-type", ":event-type", ":exception-type", ":error-code", ":error-message":
				out[h.Name] = string(v)
			}
		}
	}
	return out
}

func (m *message) decoded() decoded {
	out := map[string]string{}
	for name, v := range map[string][]byte{
		":message-type": m.messageType, ":event-type": m.eventType, ":exception-type": m.exceptionType,
		":error-code": m.errorCode, ":error-message": m.errorMessage,
	} {
		if v != nil {
			out[name] = string(v)
		}
	}
	return decoded{Headers: out, Payload: string(m.payload)}
}

// checkAgainstSDK asserts that every frame the framer accepts, the SDK's
// decoder accepts too and decodes to the same headers and payload.
func checkAgainstSDK(t testing.TB, data []byte) (frames int) {
	t.Helper()
	var f framer
	off := 0
	_ = f.feed(data, func(m *message) error {
		total := int(uint32(data[off])<<24 | uint32(data[off+1])<<16 | uint32(data[off+2])<<8 | uint32(data[off+3]))
		msg, err := eventstream.NewDecoder().Decode(bytes.NewReader(data[off:off+total]), nil)
		if err != nil {
			t.Fatalf("framer accepted frame %d that the SDK rejects: %v", frames, err)
		}
		want := decoded{Headers: sdkHeaders(msg), Payload: string(msg.Payload)}
		if diff := cmp.Diff(want, m.decoded()); diff != "" {
			t.Fatalf("frame %d differs from the SDK decoding (-sdk +framer):\n%s", frames, diff)
		}
		off += total
		frames++
		return nil
	})
	return frames
}

func TestFramerMatchesSDK(t *testing.T) {
	for _, name := range translatetest.Glob(t, "testdata/stream/*.json") {
		data := encodeFixture(t, name)
		checkAgainstSDK(t, data)
		r := rand.New(rand.NewPCG(1, 2))
		for range 200 {
			bad := bytes.Clone(data)
			if len(bad) > 0 {
				bad[r.IntN(len(bad))] ^= byte(1 + r.IntN(255))
			}
			checkAgainstSDK(t, bad)
		}
	}
}

func TestFramerHeaderTypes(t *testing.T) {
	var h eventstream.Headers
	h.Set("b1", eventstream.BoolValue(true))
	h.Set("b0", eventstream.BoolValue(false))
	h.Set("i8", eventstream.Int8Value(-1))
	h.Set("i16", eventstream.Int16Value(300))
	h.Set("i32", eventstream.Int32Value(70000))
	h.Set("i64", eventstream.Int64Value(1<<40))
	h.Set("raw", eventstream.BytesValue("xyz"))
	h.Set("uuid", eventstream.UUIDValue{1, 2, 3})
	h.Set(":event-type", eventstream.StringValue("messageStop"))
	h.Set(":message-type", eventstream.StringValue("event"))
	var buf bytes.Buffer
	if err := eventstream.NewEncoder().Encode(&buf, eventstream.Message{Headers: h, Payload: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	if n := checkAgainstSDK(t, buf.Bytes()); n != 1 {
		t.Fatalf("decoded %d frames, want 1", n)
	}
}
