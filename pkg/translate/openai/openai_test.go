package openai

import (
	"errors"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sluice-gw/sluice/pkg/gwerror"
	"github.com/sluice-gw/sluice/pkg/translate"
	"github.com/sluice-gw/sluice/pkg/translate/translatetest"
)

// byTarget picks the translator from the fixture's provider, as the route
// stage does from config.
type byTarget struct{}

func (byTarget) Request(req *translate.Request, t *translate.Target) (*translate.Upstream, error) {
	return New(t.Provider).Request(req, t)
}
func (byTarget) Response(*translate.Request, []byte) (*translate.Response, error) { return nil, nil }
func (byTarget) Error(int, http.Header, []byte) error                             { return nil }
func (byTarget) Stream(*translate.Request) translate.StreamTranslator             { return nil }
func (byTarget) StreamContentType() string                                        { return "" }

func TestRequestGolden(t *testing.T) {
	translatetest.RunRequests(t, "testdata/request", byTarget{}, false)
}

func TestResponseGolden(t *testing.T) {
	translatetest.RunResponses(t, "testdata/response", New(translate.OpenAI))
}

func TestStreamGolden(t *testing.T) {
	tr := New(translate.OpenAI)
	translatetest.RunStreams(t, "testdata/stream", tr.Stream)
}

func TestRequestRejects(t *testing.T) {
	tr := New(translate.OpenAI)
	target := &translate.Target{Provider: translate.OpenAI, Model: "m"}
	tests := []struct {
		name string
		req  *translate.Request
		t    *translate.Target
		code gwerror.Code
	}{
		{"nil request", nil, target, gwerror.Internal},
		{"nil target", &translate.Request{Op: translate.Chat, Body: []byte(`{}`)}, nil, gwerror.Internal},
		{"unknown op", &translate.Request{Body: []byte(`{}`)}, target, gwerror.InvalidRequest},
		{"empty body", &translate.Request{Op: translate.Chat}, target, gwerror.InvalidJSON},
		{"string body", &translate.Request{Op: translate.Chat, Body: []byte(`"x"`)}, target, gwerror.InvalidJSON},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tr.Request(tc.req, tc.t)
			if !errors.Is(err, gwerror.New(tc.code, "")) {
				t.Fatalf("got %v, want code %s", err, tc.code)
			}
		})
	}
}

func TestRequestKeepsClientBody(t *testing.T) {
	body := []byte(`{"model":"a","messages":[]}`)
	orig := string(body)
	req := translatetest.NewRequest(translate.Chat, body)
	if _, err := New(translate.OpenAI).Request(&req, &translate.Target{Model: "a-much-longer-model-name"}); err != nil {
		t.Fatal(err)
	}
	if string(body) != orig {
		t.Fatalf("client body was modified: %s", body)
	}
}

func TestNewUnknownProviderIsCompatible(t *testing.T) {
	if got := New("mystery").(*translator).provider; got != translate.OpenAICompatible {
		t.Fatalf("provider = %s", got)
	}
	if ct := New(translate.OpenAI).StreamContentType(); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
}

func TestResponseMalformed(t *testing.T) {
	for _, body := range []string{``, `{"id":`, `[]`, `"text"`, `<html>`} {
		_, err := New(translate.OpenAI).Response(&translate.Request{}, []byte(body))
		var ge *gwerror.Error
		if !errors.As(err, &ge) || ge.HTTPStatus() != 502 || ge.Code != gwerror.UpstreamError {
			t.Errorf("body %q: got %v, want 502 upstream_error", body, err)
		}
	}
}

func TestProviderError(t *testing.T) {
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
			err := error(ProviderError(tc.provider, tc.status, tc.header, []byte(tc.body)))
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

func TestProviderErrorTruncatesRawText(t *testing.T) {
	long := make([]byte, 1000)
	for i := range long {
		long[i] = 'a'
	}
	long[maxRawMessage-1] = 0xc3 // a two-byte rune cut by the limit
	long[maxRawMessage] = 0xa9
	got := ProviderError(translate.OpenAI, 500, nil, long).Message
	if len(got) > maxRawMessage+len("…") {
		t.Fatalf("message is %d bytes", len(got))
	}
	if got[len(got)-len("…"):] != "…" {
		t.Fatalf("message not marked as cut: %q", got[len(got)-5:])
	}
}

func TestAppendMember(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{}`, `{"k":1}`},
		{`{ }`, `{"k":1 }`},
		{`{"a":1}`, `{"a":1,"k":1}`},
		{"{\"a\":1}\n", "{\"a\":1,\"k\":1}\n"},
		{"{\"a\":{}\n}", "{\"a\":{},\"k\":1\n}"},
	}
	for _, tc := range tests {
		if got := string(appendMember([]byte(tc.in), `"k":1`)); got != tc.want {
			t.Errorf("appendMember(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
