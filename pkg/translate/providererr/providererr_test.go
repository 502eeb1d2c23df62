package providererr

import (
	"errors"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sluice-gw/sluice/pkg/gwerror"
	"github.com/sluice-gw/sluice/pkg/sse"
	"github.com/sluice-gw/sluice/pkg/translate"
)

func TestFromReply(t *testing.T) {
	rl := http.Header{
		"Retry-After":                      {"7"},
		"X-Ratelimit-Remaining-Requests":   {"0"},
		"Anthropic-Ratelimit-Tokens-Reset": {"2025-01-01T00:00:00Z"},
		"Content-Type":                     {"application/json"},
	}
	openaiErr := `{"error":{"message":"Rate limit reached for gpt-4o","type":"requests","param":null,"code":"rate_limit_exceeded"}}`
	tests := []struct {
		name     string
		provider translate.Provider
		status   int
		header   http.Header
		body     string
		want     *gwerror.Error
	}{
		{"429 keeps retry headers", translate.OpenAI, 429, rl, openaiErr, &gwerror.Error{
			Code: gwerror.RateLimited, Status: 429, Message: "Rate limit reached for gpt-4o",
			Headers: map[string]string{"retry-after": "7", "x-ratelimit-remaining-requests": "0", "anthropic-ratelimit-tokens-reset": "2025-01-01T00:00:00Z"},
		}},
		{"429 without body", translate.OpenAI, 429, nil, ``, &gwerror.Error{
			Code: gwerror.RateLimited, Status: 429, Message: "provider openai returned HTTP 429",
		}},
		{"400 keeps status and param", translate.OpenAI, 400, nil,
			`{"error":{"message":"Invalid value for 'temperature'","type":"invalid_request_error","param":"temperature","code":"invalid_value"}}`,
			&gwerror.Error{Code: gwerror.InvalidRequest, Status: 400, Message: "Invalid value for 'temperature'", Param: "temperature"}},
		{"404 model", translate.OpenAI, 404, nil,
			`{"error":{"message":"The model 'x' does not exist","type":"invalid_request_error","param":null,"code":"model_not_found"}}`,
			&gwerror.Error{Code: gwerror.ModelNotFound, Status: 404, Message: "The model 'x' does not exist"}},
		{"404 azure deployment", translate.AzureOpenAI, 404, nil,
			`{"error":{"code":"DeploymentNotFound","message":"The API deployment for this resource does not exist."}}`,
			&gwerror.Error{Code: gwerror.ModelNotFound, Status: 404, Message: "The API deployment for this resource does not exist."}},
		{"404 other", translate.Anthropic, 404, nil,
			`{"type":"error","error":{"type":"not_found_error","message":"model: claude-9"}}`,
			&gwerror.Error{Code: gwerror.NotFound, Status: 404, Message: "model: claude-9"}},
		{"401 hides provider message", translate.OpenAI, 401, nil,
			`{"error":{"message":"Incorrect API key provided: sk-abc***xyz","type":"invalid_request_error","code":"invalid_api_key"}}`,
			&gwerror.Error{Code: gwerror.UpstreamError, Message: "provider openai rejected the gateway's credentials (HTTP 401); check the backend's API key"}},
		{"403", translate.Anthropic, 403, nil, `{"type":"error","error":{"type":"permission_error","message":"key lacks scope"}}`,
			&gwerror.Error{Code: gwerror.UpstreamError, Message: "provider anthropic rejected the gateway's credentials (HTTP 403); check the backend's API key"}},
		{"500", translate.OpenAI, 500, rl, `{"error":{"message":"The server had an error","type":"server_error"}}`,
			&gwerror.Error{Code: gwerror.UpstreamError, Message: "The server had an error",
				Headers: map[string]string{"retry-after": "7", "x-ratelimit-remaining-requests": "0", "anthropic-ratelimit-tokens-reset": "2025-01-01T00:00:00Z"}}},
		{"529 overloaded", translate.Anthropic, 529, nil, `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`,
			&gwerror.Error{Code: gwerror.UpstreamError, Message: "Overloaded"}},
		{"503 html", translate.OpenAICompatible, 503, nil, "<html><body>Service Unavailable</body></html>",
			&gwerror.Error{Code: gwerror.UpstreamError, Message: "<html><body>Service Unavailable</body></html>"}},
		{"404 non-JSON body", translate.OpenAICompatible, 404, nil, "404 page not found\n",
			&gwerror.Error{Code: gwerror.UpstreamError, Message: "provider openai_compatible returned HTTP 404 with a non-JSON body: 404 page not found"}},
		{"vllm message", translate.OpenAICompatible, 400, nil,
			`{"object":"error","message":"max_tokens must be at least 1","type":"BadRequestError","param":null,"code":400}`,
			&gwerror.Error{Code: gwerror.InvalidRequest, Status: 400, Message: "max_tokens must be at least 1"}},
		{"ollama string error", translate.OpenAICompatible, 400, nil, `{"error":"model is required"}`,
			&gwerror.Error{Code: gwerror.InvalidRequest, Status: 400, Message: "model is required"}},
		{"fastapi detail", translate.OpenAICompatible, 422, nil, `{"detail":"Unprocessable"}`,
			&gwerror.Error{Code: gwerror.InvalidRequest, Status: 422, Message: "Unprocessable"}},
		{"JSON without message", translate.OpenAI, 400, nil, `{"weird":true}`,
			&gwerror.Error{Code: gwerror.InvalidRequest, Status: 400, Message: "provider openai returned HTTP 400"}},
		{"408", translate.OpenAI, 408, nil, `{"error":{"message":"timeout"}}`,
			&gwerror.Error{Code: gwerror.UpstreamTimeout, Message: "timeout"}},
		{"413", translate.Anthropic, 413, nil, `{"type":"error","error":{"type":"request_too_large","message":"Request exceeds the maximum allowed number of bytes."}}`,
			&gwerror.Error{Code: gwerror.BodyTooLarge, Status: 413, Message: "Request exceeds the maximum allowed number of bytes."}},
		{"3xx", translate.OpenAI, 302, nil, ``,
			&gwerror.Error{Code: gwerror.UpstreamError, Message: "provider openai returned unexpected HTTP 302"}},
		{"invalid UTF-8 text", translate.OpenAI, 502, nil, "bad \xff gateway",
			&gwerror.Error{Code: gwerror.UpstreamError, Message: "bad \uFFFD gateway"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := error(FromReply(tc.provider, tc.status, tc.header, []byte(tc.body)))
			var got *gwerror.Error
			if !errors.As(err, &got) {
				t.Fatalf("not a *gwerror.Error: %v", err)
			}
			if d := cmp.Diff(tc.want, got, cmp.AllowUnexported(gwerror.Error{})); d != "" {
				t.Fatalf("(-want +got):\n%s", d)
			}
		})
	}
}

func TestFromReplyTruncatesRawText(t *testing.T) {
	long := make([]byte, 1000)
	for i := range long {
		long[i] = 'a'
	}
	long[maxRawMessage-1] = 0xc3 // a two-byte rune cut by the limit
	long[maxRawMessage] = 0xa9
	got := FromReply(translate.OpenAI, 500, nil, long).Message
	if len(got) > maxRawMessage+len("…") {
		t.Fatalf("message is %d bytes", len(got))
	}
	if got[len(got)-len("…"):] != "…" {
		t.Fatalf("message not marked as cut: %q", got[len(got)-5:])
	}
}

func TestStreamEvent(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{sse.ErrTooLarge, "provider openai sent a stream event larger than 8388608 bytes"},
		{ErrMalformedEvent, "provider openai sent a malformed stream event"},
	}
	for _, tc := range tests {
		got := StreamEvent(translate.OpenAI, tc.err)
		if got.Code != gwerror.UpstreamError || got.Message != tc.want || !errors.Is(got.Unwrap(), tc.err) {
			t.Errorf("StreamEvent(%v) = %v", tc.err, got)
		}
	}
	if e := StreamEnded(); e.Code != gwerror.UpstreamError || e.Message != MsgStreamEnded {
		t.Errorf("StreamEnded() = %v", e)
	}
}

func TestKeepsMeaning(t *testing.T) {
	for status, want := range map[int]bool{429: true, 503: true, 504: true, 500: false, 502: false, 400: false, 403: false} {
		if got := KeepsMeaning(status); got != want {
			t.Errorf("KeepsMeaning(%d) = %t, want %t", status, got, want)
		}
	}
}

func TestWithRetryAfter(t *testing.T) {
	e := WithRetryAfter(gwerror.New(gwerror.RateLimited, "x"), http.Header{"Retry-After": {"4"}})
	if e.Headers["retry-after"] != "4" {
		t.Fatalf("headers = %v", e.Headers)
	}
	if e := WithRetryAfter(gwerror.New(gwerror.RateLimited, "x"), nil); e.Headers != nil {
		t.Fatalf("headers = %v without a Retry-After", e.Headers)
	}
}

func TestReported(t *testing.T) {
	if e := Reported(translate.Anthropic, gwerror.RateLimited, "slow down"); e.Code != gwerror.RateLimited || e.Message != "slow down" {
		t.Errorf("Reported = %v", e)
	}
	if e := Reported(translate.OpenAI, gwerror.UpstreamError, ""); e.Message != "provider openai reported a stream error" {
		t.Errorf("Reported without a message = %v", e)
	}
}

func TestStreamFailed(t *testing.T) {
	ge := gwerror.New(gwerror.RateLimited, "x")
	if got := StreamFailed(translate.Gemini, ge); got != ge {
		t.Errorf("a *gwerror.Error changed: %v", got)
	}
	cause := errors.New("boom")
	got := StreamFailed(translate.Bedrock, cause)
	if got.Code != gwerror.UpstreamError || got.Message != "bedrock stream could not be read" || !errors.Is(got.Unwrap(), cause) {
		t.Errorf("StreamFailed = %v", got)
	}
}

func TestUnreadable(t *testing.T) {
	e := Unreadable(translate.Gemini, 500)
	if e.Code != gwerror.UpstreamError || e.Message != "gemini returned HTTP 500 with an unreadable error body" {
		t.Errorf("Unreadable = %v", e)
	}
}
