package fakeprovider

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tidwall/gjson"
)

// nativeMessage is where each provider's error body carries its message.
var nativeMessage = map[string]string{
	BackendOpenAI:    "error.message",
	BackendAzure:     "error.message",
	BackendAnthropic: "error.message",
	BackendGemini:    "error.message",
	BackendBedrock:   "message",
}

func TestAuth(t *testing.T) {
	set := StartAll(t)
	tests := []struct {
		backend string
		edit    func(h http.Header)
		status  int
		message string
	}{
		{BackendOpenAI, func(h http.Header) { h.Del("Authorization") }, 401, "You didn't provide an API key"},
		{BackendOpenAI, func(h http.Header) { h.Set("Authorization", "Bearer wrong") }, 401, "Incorrect API key"},
		{BackendAzure, func(h http.Header) { h.Set("Api-Key", "wrong") }, 401, "Access denied"},
		{BackendAnthropic, func(h http.Header) { h.Del("X-Api-Key") }, 401, "x-api-key header is required"},
		{BackendAnthropic, func(h http.Header) { h.Del("Anthropic-Version") }, 400, "anthropic-version"},
		{BackendGemini, func(h http.Header) { h.Del("X-Goog-Api-Key") }, 403, "unregistered callers"},
		{BackendGemini, func(h http.Header) { h.Set("X-Goog-Api-Key", "wrong") }, 400, "API key not valid"},
		{BackendBedrock, func(h http.Header) { h.Del("Authorization") }, 403, "Missing Authentication Token"},
		{BackendBedrock, func(h http.Header) { h.Set("Authorization", "AWS4-HMAC-SHA256 nonsense") }, 400, "AWS4-HMAC-SHA256 format"},
		{BackendBedrock, func(h http.Header) { h.Set("X-Amz-Date", "20200101T000000Z") }, 403, "does not match"},
	}
	for _, tt := range tests {
		t.Run(tt.backend+"/"+tt.message, func(t *testing.T) {
			req := chatRequest(t, tt.backend, set.URL(tt.backend), models[tt.backend], false)
			tt.edit(req.Header)
			res := mustSend(t, req)
			msg := gjson.GetBytes(res.body, nativeMessage[tt.backend]).String()
			if res.status != tt.status || !strings.Contains(msg, tt.message) {
				t.Errorf("got %d %q, want %d containing %q", res.status, msg, tt.status, tt.message)
			}
		})
	}
}

func TestBedrockSignature(t *testing.T) {
	set := StartAll(t)
	url := set.URL(BackendBedrock) + "/model/" + models[BackendBedrock] + "/converse"
	body := `{"messages":[{"role":"user","content":[{"text":"hi"}]}]}`
	tests := []struct {
		name    string
		mutate  func(t *testing.T, req *http.Request)
		status  int
		message string
	}{
		{"valid", func(*testing.T, *http.Request) {}, 200, ""},
		{"escaped colon in the path", func(t *testing.T, req *http.Request) {
			req.URL.RawPath = strings.Replace(req.URL.EscapedPath(), ":", "%3A", 1)
			req.Header.Del("Authorization")
			sign(t, req, []byte(body), time.Now())
		}, 200, ""},
		{"body changed after signing", func(t *testing.T, req *http.Request) {
			req.Body, req.ContentLength = http.NoBody, 0
		}, 403, "signature we calculated does not match"},
		{"tampered signature", func(t *testing.T, req *http.Request) {
			tamper(req.Header)
		}, 403, "signature we calculated does not match"},
		{"old signature", func(t *testing.T, req *http.Request) {
			req.Header.Del("Authorization")
			sign(t, req, []byte(body), time.Now().Add(-time.Hour))
		}, 403, "Signature expired"},
		{"bearer token", func(t *testing.T, req *http.Request) {
			req.Header.Set("Authorization", "Bearer sk-client-key")
		}, 400, "gateway credential leaked"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := newRequest(t, BackendBedrock, url, body, nil)
			tt.mutate(t, req)
			res := mustSend(t, req)
			msg := gjson.GetBytes(res.body, "message").String()
			if res.status != tt.status || !strings.Contains(msg, tt.message) {
				t.Errorf("got %d %q, want %d containing %q", res.status, msg, tt.status, tt.message)
			}
		})
	}
}

func TestBedrockWithoutSignatureCheck(t *testing.T) {
	set := StartAll(t, WithoutSignatureCheck())
	req := chatRequest(t, BackendBedrock, set.URL(BackendBedrock), "m", false)
	tamper(req.Header)
	if res := mustSend(t, req); res.status != http.StatusOK {
		t.Errorf("status %d: %s", res.status, res.body)
	}
}

func TestLeaks(t *testing.T) {
	set := StartAll(t)
	set.Forbid("sk-sluice-test-key")
	tests := []struct {
		name    string
		backend string
		edit    func(h http.Header)
	}{
		{"gateway key header", BackendOpenAI, func(h http.Header) { h.Set("X-Sluice-Key", "anything") }},
		{"client bearer reaches Anthropic", BackendAnthropic, func(h http.Header) { h.Set("Authorization", "Bearer sk-client") }},
		{"client bearer reaches Azure", BackendAzure, func(h http.Header) { h.Set("Authorization", "Bearer sk-client") }},
		{"anthropic key reaches Gemini", BackendGemini, func(h http.Header) { h.Set("X-Api-Key", "sk-client") }},
		{"forbidden secret in a header", BackendOpenAI, func(h http.Header) { h.Set("X-Trace", "sk-sluice-test-key") }},
		{"forbidden secret replaces the key", BackendOpenAI, func(h http.Header) { h.Set("Authorization", "Bearer sk-sluice-test-key") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := chatRequest(t, tt.backend, set.URL(tt.backend), models[tt.backend], false)
			tt.edit(req.Header)
			res := mustSend(t, req)
			msg := gjson.GetBytes(res.body, nativeMessage[tt.backend]).String()
			if res.status != http.StatusBadRequest || !strings.HasPrefix(msg, "gateway credential leaked") {
				t.Errorf("got %d %q, want 400 gateway credential leaked", res.status, msg)
			}
			if _, ok := set.Fake(tt.backend).Last(); !ok {
				t.Error("a rejected request must still be recorded")
			}
		})
	}
}

func TestShapeChecks(t *testing.T) {
	set := StartAll(t)
	tests := []struct {
		backend, path, body string
		status              int
		message             string
	}{
		{BackendOpenAI, "/v1/chat/completions", `{"model":"m","messages":[]}`, 400, "too short"},
		{BackendOpenAI, "/v1/chat/completions", `{"model":"m","messages":[{"role":"user","content":"x"}],"stream_options":{"include_usage":true}}`, 400, "only allowed when 'stream' is enabled"},
		{BackendOpenAI, "/v1/chat/completions", `{"model":"m",`, 400, "could not parse the JSON"},
		{BackendOpenAI, "/v1/completions", `{}`, 404, "Invalid URL"},
		{BackendAzure, "/openai/deployments/d/chat/completions", `{"messages":[{"role":"user","content":"x"}]}`, 404, "Resource not found"},
		{BackendAnthropic, "/v1/messages", `{"model":"m","messages":[{"role":"user","content":"x"}]}`, 400, "max_tokens: Field required"},
		{BackendAnthropic, "/v1/messages", `{"model":"m","max_tokens":5,"messages":[{"role":"system","content":"x"}]}`, 400, "messages.0.role"},
		{BackendAnthropic, "/v1/messages", `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"x"}],"stream_options":{}}`, 400, "stream_options: Extra inputs are not permitted"},
		{BackendGemini, "/v1beta/models/g:generateContent", `{"messages":[]}`, 400, `Unknown name "messages"`},
		{BackendGemini, "/v1beta/models/g:generateContent", `{"contents":[{"role":"user","parts":[]}]}`, 400, "parts must not be empty"},
		{BackendGemini, "/v1beta/models/g:streamGenerateContent", `{"contents":[{"parts":[{"text":"x"}]}]}`, 400, "alt=sse"},
		{BackendGemini, "/v1beta/models/g:batchEmbedContents", `{"requests":[{"model":"models/other","content":{"parts":[{"text":"x"}]}}]}`, 400, "does not match"},
		{BackendBedrock, "/model/m/converse", `{"messages":[{"role":"user","content":[{"text":"x"}]}],"inferenceConfig":{"max_tokens":5}}`, 400, "inferenceConfig.max_tokens"},
		{BackendBedrock, "/model/m/converse", `{"messages":[{"role":"user","content":[{"text":"x"}]}],"system":"be brief"}`, 400, "'system'"},
		{BackendBedrock, "/model/m/converse", `{"messages":[{"role":"user","content":"x"}]}`, 400, "must be a list"},
		{BackendBedrock, "/model/m/converse", `{"messages":[{"role":"user","content":[]}]}`, 400, "is empty"},
		{BackendBedrock, "/model/m/converse", `{"messages":[{"role":"user","content":[{"type":"text","text":"x"}]}]}`, 400, "exactly one known field"},
		{BackendBedrock, "/model/m/invoke", `{}`, 404, "Unknown operation"},
	}
	for _, tt := range tests {
		t.Run(tt.backend+tt.path+"/"+tt.message, func(t *testing.T) {
			auth := chatRequest(t, tt.backend, set.URL(tt.backend), "m", false).Header
			res := mustSend(t, newRequest(t, tt.backend, set.URL(tt.backend)+tt.path, tt.body, stripAuth(auth, tt.backend)))
			msg := gjson.GetBytes(res.body, nativeMessage[tt.backend]).String()
			if res.status != tt.status || !strings.Contains(msg, tt.message) {
				t.Errorf("got %d %q, want %d containing %q", res.status, msg, tt.status, tt.message)
			}
		})
	}
}

func TestNativeErrorShapes(t *testing.T) {
	set := StartAll(t)
	checks := map[string]func(body string, h http.Header) bool{
		BackendOpenAI: func(b string, _ http.Header) bool {
			return gjson.Get(b, "error.type").String() == "requests" && gjson.Get(b, "error.code").String() == "rate_limit_exceeded"
		},
		BackendAzure: func(b string, _ http.Header) bool { return gjson.Get(b, "error.code").String() == "429" },
		BackendAnthropic: func(b string, _ http.Header) bool {
			return gjson.Get(b, "type").String() == "error" && gjson.Get(b, "error.type").String() == "rate_limit_error"
		},
		BackendGemini: func(b string, _ http.Header) bool {
			return gjson.Get(b, "error.code").Int() == 429 && gjson.Get(b, "error.status").String() == "RESOURCE_EXHAUSTED"
		},
		BackendBedrock: func(b string, h http.Header) bool {
			return strings.HasPrefix(h.Get("X-Amzn-Errortype"), "ThrottlingException:") && gjson.Get(b, "message").Exists()
		},
	}
	for _, backend := range backends {
		t.Run(backend, func(t *testing.T) {
			res := mustSend(t, chatRequest(t, backend, set.URL(backend), "fault-429", false))
			if res.status != http.StatusTooManyRequests || res.header.Get("Retry-After") != "7" || !checks[backend](string(res.body), res.header) {
				t.Errorf("got %d retry-after %q: %s %v", res.status, res.header.Get("Retry-After"), res.body, res.header)
			}
		})
	}
}

// tamper changes the last hex digit of a SigV4 signature.
func tamper(h http.Header) {
	auth := h.Get("Authorization")
	last := auth[len(auth)-1]
	swap := byte('0')
	if last == '0' {
		swap = '1'
	}
	h.Set("Authorization", auth[:len(auth)-1]+string(swap))
}
