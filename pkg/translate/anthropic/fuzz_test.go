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

// FuzzEventMembers checks the one-pass read of a stream event against
// gjson.ValidBytes and gjson.Get.
func FuzzEventMembers(f *testing.F) {
	for _, s := range []string{`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"hi"}}`,
		`{"type":"message_start","message":{"id":"m","usage":{"input_tokens":3}},"type":"x"}`,
		`{"index":1.5e0,"content_block":{"type":"text","text":""}}`, `[{"type":"ping"}]`, `{"type":"ping"`, `{"index":-0}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var top eventMembers
		_, ok := rawjson.Walk(data, top.see)
		if ok != gjson.ValidBytes(data) {
			t.Fatalf("Walk(%q) ok = %v", data, ok)
		}
		if !ok {
			return
		}
		for _, c := range []struct {
			name string
			got  gjson.Result
		}{{"type", top.typ}, {"index", top.index}, {"message", top.message}, {"content_block", top.block}, {"delta", top.delta}} {
			want := gjson.GetBytes(data, c.name)
			if c.got.Raw != want.Raw || c.got.Type != want.Type || c.got.Str != want.Str || c.got.Int() != want.Int() {
				t.Fatalf("%s of %q = %s, gjson.Get = %s", c.name, data, c.got.Raw, want.Raw)
			}
		}
	})
}
