package anthropic

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/tidwall/gjson"

	"github.com/sluice-gw/sluice/pkg/translate"
	"github.com/sluice-gw/sluice/pkg/translate/rawjson"
	"github.com/sluice-gw/sluice/pkg/translate/translatetest"
)

// TestSeedCorpora keeps the committed fuzz seeds in step with the fixtures.
func TestSeedCorpora(t *testing.T) {
	for _, c := range translatetest.LoadRequestCases(t, "testdata/request") {
		translatetest.SeedCorpus(t, "FuzzRequest", c.Name, c.Request.Body)
	}
	for _, c := range translatetest.LoadResponseCases(t, "testdata/response") {
		translatetest.SeedCorpus(t, "FuzzResponse", c.Name, c.Response, forcedToolName(c.Request.Body) != "")
	}
	for _, c := range translatetest.LoadStreamCases(t, "testdata/stream") {
		translatetest.SeedCorpus(t, "FuzzStream", c.Name, c.Input, c.Request.IncludeUsage, forcedToolName(c.Request.Body) != "")
	}
	seedFiles(t, "FuzzFromMessages", "testdata/messages/request/*.json")
	seedFiles(t, "FuzzToMessagesResponse", "testdata/messages/response/*.json")
	seedFiles(t, "FuzzMessagesStream", "testdata/messages/stream/*.sse")
}

func seedFiles(t *testing.T, fuzzName, pattern string) {
	for _, path := range translatetest.Glob(t, pattern) {
		name := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
		translatetest.SeedCorpus(t, fuzzName, name, translatetest.ReadFile(t, path))
	}
}

// jsonModeRequest asks for a JSON answer through the forced tool "person".
var jsonModeRequest = []byte(`{"stream":true,"response_format":{"type":"json_schema","json_schema":{"name":"person"}}}`)

func FuzzRequest(f *testing.F) {
	f.Add([]byte(`{"messages":[{"role":"user","content":"hi"}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		req := translatetest.NewRequest(translate.Chat, body)
		up, err := New().Request(&req, &translate.Target{Model: "claude"})
		if err == nil && !gjson.ValidBytes(up.Body) {
			t.Fatalf("request %q produced invalid JSON %q", body, up.Body)
		}
	})
}

func FuzzResponse(f *testing.F) {
	f.Add([]byte(`{"content":[{"type":"text","text":"x"}]}`), false)
	f.Fuzz(func(t *testing.T, body []byte, jsonMode bool) {
		req := &translate.Request{Op: translate.Chat, Body: []byte(`{}`)}
		if jsonMode {
			req.Body = jsonModeRequest
		}
		resp, err := fixed.Response(req, body)
		if err == nil && !gjson.ValidBytes(resp.Body) {
			t.Fatalf("response %q produced invalid JSON %q", body, resp.Body)
		}
	})
}

func FuzzStream(f *testing.F) {
	f.Add([]byte("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"), false, false)
	f.Fuzz(func(t *testing.T, input []byte, includeUsage, jsonMode bool) {
		req := &translate.Request{Op: translate.Chat, Stream: true, IncludeUsage: includeUsage, Body: []byte(`{}`)}
		if jsonMode {
			req.Body = jsonModeRequest
		}
		checkStream(t, func() translate.StreamTranslator { return fixed.Stream(req) }, input)
	})
}

func FuzzFromMessages(f *testing.F) {
	f.Add([]byte(`{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"hi"}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		out, err := FromMessages(body)
		if err == nil && !gjson.ValidBytes(out) {
			t.Fatalf("request %q produced invalid JSON %q", body, out)
		}
	})
}

func FuzzToMessagesResponse(f *testing.F) {
	f.Add([]byte(`{"choices":[{"message":{"content":"x"}}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		out, err := ToMessagesResponse(body)
		if err == nil && !gjson.ValidBytes(out) {
			t.Fatalf("response %q produced invalid JSON %q", body, out)
		}
	})
}

func FuzzMessagesStream(f *testing.F) {
	f.Add([]byte("data: [DONE]\n\n"))
	f.Fuzz(func(t *testing.T, input []byte) {
		checkStream(t, func() translate.StreamTranslator { return NewMessagesStream() }, input)
		checkStream(t, func() translate.StreamTranslator { return NewPassthroughStream() }, input)
	})
}

// checkStream fails unless the output is well-formed and the same for the
// whole input, byte by byte and in random cuts.
func checkStream(t *testing.T, newStream func() translate.StreamTranslator, input []byte) {
	whole := translatetest.SplitsAgree(t, newStream, input, translatetest.QuickSplits(input, 1)...)
	translatetest.CheckEvents(t, whole.Out)
}

// FuzzTextDelta holds textDelta to the general reading of an event: when
// it takes an event, Select and Fields find it valid, a text_delta of the
// same block, with the same text.
func FuzzTextDelta(f *testing.F) {
	for _, s := range []string{
		`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}}`,
		`{"type":"content_block_delta","index":12,"delta":{"type":"text_delta","text":"a \"quoted\"\nline \u00e9 \ud83d\ude00"}}`,
		`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":""}}`,
		`{"type":"content_block_delta","index":01,"delta":{"type":"text_delta","text":"x"}}`,
		`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"x"}} `,
		`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"x","text":"y"}}`,
		`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"bad \x01"}}`,
		`{"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"{"}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		index, text, ok := textDelta(data)
		if !ok {
			return
		}
		var top [len(eventKeys)]gjson.Result
		if _, valid := rawjson.Select(data, eventKeys[:], top[:]); !valid {
			t.Fatalf("took %q, which is not valid JSON", data)
		}
		var d [len(deltaKeys)]gjson.Result
		rawjson.Fields(top[evDelta], deltaKeys[:], d[:])
		if top[evType].Str != "content_block_delta" || d[deltaType].Str != "text_delta" ||
			top[evIndex].Int() != index || d[deltaText].Str != text {
			t.Fatalf("%q: took block %d text %q; the general reading: %s block %d, %s %q",
				data, index, text, top[evType].Str, top[evIndex].Int(), d[deltaType].Str, d[deltaText].Str)
		}
	})
}

// TestTextDeltaTakesTheUsualShape checks that the shape Anthropic sends
// is read by textDelta, and that variations of it are left alone.
func TestTextDeltaTakesTheUsualShape(t *testing.T) {
	for _, tc := range []struct {
		data  string
		index int64
		text  string
		ok    bool
	}{
		{`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}}`, 0, "Hello", true},
		{`{"type":"content_block_delta","index":12,"delta":{"type":"text_delta","text":"a \"b\"\n"}}`, 12, "a \"b\"\n", true},
		{`{"type":"content_block_delta","index":01,"delta":{"type":"text_delta","text":"x"}}`, 0, "", false},
		{`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"x"}} `, 0, "", false},
		{`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"x","more":1}}`, 0, "", false},
		{`{"type":"content_block_delta", "index":0,"delta":{"type":"text_delta","text":"x"}}`, 0, "", false},
		{`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"x}}`, 0, "", false},
	} {
		index, text, ok := textDelta([]byte(tc.data))
		if ok != tc.ok || index != tc.index || text != tc.text {
			t.Errorf("%s: got %d %q %v, want %d %q %v", tc.data, index, text, ok, tc.index, tc.text, tc.ok)
		}
	}
}
