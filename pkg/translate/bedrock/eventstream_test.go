package bedrock

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"

	"github.com/sluice-gw/sluice/pkg/translate/translatetest"
)

// streamFixture describes a ConverseStream reply as frames; the test
// encodes it with the SDK's event-stream Encoder, then damages it if asked.
type streamFixture struct {
	Frames []struct {
		Event     string `json:"event"`
		Exception string `json:"exception"`
		Error     *struct{ Code, Message string }
		Payload   json.RawMessage `json:"payload"`
		Raw       string          `json:"raw"`      // payload bytes as written
		RawBytes  string          `json:"rawBytes"` // payload with each rune U+0000–U+00FF as one byte
	} `json:"frames"`
	Truncate int `json:"truncate"` // drop this many bytes from the end
	Corrupt  int `json:"corrupt"`  // flip the byte at this offset (0: none)
}

func encodeFixture(t testing.TB, path string) []byte {
	t.Helper()
	src := translatetest.ReadFile(t, path)
	var fx streamFixture
	dec := json.NewDecoder(bytes.NewReader(src))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&fx); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var out bytes.Buffer
	enc := eventstream.NewEncoder()
	for _, f := range fx.Frames {
		var h eventstream.Headers
		payload := payloadOf(t, f.Payload, f.Raw, f.RawBytes)
		switch {
		case f.Error != nil:
			h.Set(":message-type", eventstream.StringValue("error"))
			h.Set(":error-code", eventstream.StringValue(f.Error.Code))
			h.Set(":error-message", eventstream.StringValue(f.Error.Message))
		case f.Exception != "":
			h.Set(":message-type", eventstream.StringValue("exception"))
			h.Set(":exception-type", eventstream.StringValue(f.Exception))
			h.Set(":content-type", eventstream.StringValue("application/json"))
		default:
			h.Set(":event-type", eventstream.StringValue(f.Event))
			h.Set(":content-type", eventstream.StringValue("application/json"))
			h.Set(":message-type", eventstream.StringValue("event"))
		}
		if err := enc.Encode(&out, eventstream.Message{Headers: h, Payload: payload}); err != nil {
			t.Fatal(err)
		}
	}
	b := out.Bytes()
	b = b[:len(b)-fx.Truncate]
	if fx.Corrupt > 0 {
		b[fx.Corrupt] ^= 0x55
	}
	return b
}

func payloadOf(t testing.TB, payload json.RawMessage, raw, rawBytes string) []byte {
	switch {
	case raw != "":
		return []byte(raw)
	case rawBytes != "":
		var b []byte
		for _, r := range rawBytes {
			if r > 0xff {
				t.Fatalf("rawBytes rune %U is not a byte", r)
			}
			b = append(b, byte(r))
		}
		return b
	case payload != nil:
		var buf bytes.Buffer
		if err := json.Compact(&buf, payload); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	return nil
}

// TestSeedCorpora keeps testdata/fuzz/FuzzStream in step with the stream
// fixtures; -update rewrites it.
func TestSeedCorpora(t *testing.T) {
	for i, name := range translatetest.Glob(t, "testdata/stream/*.json") {
		seed := strings.TrimSuffix(filepath.Base(name), ".json")
		translatetest.SeedCorpus(t, "FuzzStream", seed, encodeFixture(t, name), uint64(i+1))
	}
}
