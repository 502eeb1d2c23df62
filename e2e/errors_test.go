package e2e

import (
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/tidwall/gjson"

	fp "github.com/sluice-gw/sluice/e2e/fakeprovider"
)

// chatBody is a minimal chat request for model carrying marker.
func chatBody(t *testing.T, model, marker string, stream bool) string {
	t.Helper()
	return mustJSON(t, map[string]any{
		"model": model, "stream": stream,
		"messages": []any{map[string]any{"role": "user", "content": "Say hello. " + marker}},
	})
}

// Requests Sluice refuses itself: the OpenAI error shape, the right
// status, and nothing sent upstream.
func TestRequestErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	marker := newMarker()
	msgs := `"messages":[{"role":"user","content":"` + marker + `"}]`
	cases := []struct {
		name, method, path, body string
		status                   int
		code, param              string
	}{
		{"malformed JSON", "POST", "/v1/chat/completions", `{"model":"gpt-4o",` + msgs + `,`, 400, "invalid_json", ""},
		{"not an object", "POST", "/v1/chat/completions", `["` + marker + `"]`, 400, "invalid_json", ""},
		{"missing model", "POST", "/v1/chat/completions", `{` + msgs + `}`, 400, "", "model"},
		{"empty model", "POST", "/v1/chat/completions", `{"model":"",` + msgs + `}`, 400, "", "model"},
		{"missing messages", "POST", "/v1/chat/completions", `{"model":"gpt-4o","user":"` + marker + `"}`, 400, "", "messages"},
		{"empty messages", "POST", "/v1/chat/completions", `{"model":"gpt-4o","messages":[],"user":"` + marker + `"}`, 400, "", "messages"},
		{"stream not a boolean", "POST", "/v1/chat/completions", `{"model":"gpt-4o","stream":"yes",` + msgs + `}`, 400, "", "stream"},
		{"missing embeddings input", "POST", "/v1/embeddings", `{"model":"text-embedding-3-small","user":"` + marker + `"}`, 400, "", "input"},
		{"unknown model", "POST", "/v1/chat/completions", `{"model":"no-such-model",` + msgs + `}`, 404, "model_not_found", "model"},
		{"upstream name is not public", "POST", "/v1/chat/completions", `{"model":"claude-sonnet-4-5-20250929",` + msgs + `}`, 404, "model_not_found", "model"},
		{"unsupported path", "POST", "/v1/completions", `{"model":"gpt-4o","prompt":"` + marker + `"}`, 404, "not_found", ""},
		{"unknown API version", "GET", "/v2/models", "", 404, "not_found", ""},
		{"wrong method", "GET", "/v1/chat/completions", "", 405, "method_not_allowed", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.do(t, c.method, c.path, c.body)
			got := checkOpenAIError(t, r, c.status)
			if c.code != "" && got.Get("code").String() != c.code {
				t.Errorf("error.code = %q, want %q", got.Get("code").String(), c.code)
			}
			if c.param != "" && got.Get("param").String() != c.param {
				t.Errorf("error.param = %s, want %q", got.Get("param").Raw, c.param)
			}
		})
	}
	for _, b := range e.fakes.Backends() {
		if n := len(e.fakes.Fake(b).Requests()); n != 0 {
			t.Errorf("the %s fake received %d requests, want none", b, n)
		}
	}
}

// A body over limits.max_request_body_bytes is a 413 and never leaves the
// gateway; one under it is served.
func TestBodyLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withMaxRequestBody("1KiB"))
	small := newMarker()
	if r := e.post(t, "/v1/chat/completions", chatBody(t, "gpt-4o", small, false)); r.status != 200 {
		t.Fatalf("a small request: status = %d, want 200: %s", r.status, r.body)
	}
	e.upstream(t, fp.BackendOpenAI, small)

	big := newMarker()
	body := chatBody(t, "gpt-4o", big+" "+strings.Repeat("x", 2048), false)
	got := checkOpenAIError(t, e.post(t, "/v1/chat/completions", body), http.StatusRequestEntityTooLarge)
	if got.Get("code").String() != "request_too_large" {
		t.Errorf("error.code = %q, want request_too_large", got.Get("code").String())
	}
	e.noUpstream(t, big)
}

// faultMessage is the message the fake provider puts in its error body.
func faultMessage(backend string, kind fp.FaultKind) string {
	switch kind {
	case fp.RateLimited:
		if backend == fp.BackendAzure {
			return "Requests to the ChatCompletions_Create Operation under Azure OpenAI API have exceeded token rate limit"
		}
		return "Rate limit reached. Please try again in 7s."
	case fp.ServerError:
		return "The server had an error while processing your request."
	case fp.Unavailable:
		return "The service is temporarily unavailable."
	}
	return ""
}

// Provider failures become OpenAI-shaped errors: a 429 keeps its status
// and retry-after, a 5xx or an unreadable body is a 502 that carries the
// provider's message.
func TestProviderErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cases := []struct {
		kind   fp.FaultKind
		status int
	}{
		{fp.RateLimited, http.StatusTooManyRequests},
		{fp.ServerError, http.StatusBadGateway},
		{fp.Unavailable, http.StatusBadGateway},
		{fp.Malformed, http.StatusBadGateway},
	}
	for _, p := range providers {
		for _, c := range cases {
			t.Run(p.backend+"/"+string(c.kind), func(t *testing.T) {
				t.Parallel()
				marker := newMarker()
				r := e.post(t, "/v1/chat/completions", chatBody(t, p.faultModel(c.kind), marker, false))
				got := checkOpenAIError(t, r, c.status)
				if want := faultMessage(p.backend, c.kind); want != "" && !strings.Contains(got.Get("message").String(), want) {
					t.Errorf("error.message = %q, want it to carry the provider's message %q", got.Get("message").String(), want)
				}
				if c.kind == fp.RateLimited {
					if ra := r.header.Get("Retry-After"); ra != strconv.Itoa(fp.RetryAfterSeconds) {
						t.Errorf("retry-after = %q, want %d", ra, fp.RetryAfterSeconds)
					}
				}
				e.upstream(t, p.backend, marker)
			})
		}
	}
}

// A provider stream that breaks after it started ends, for the client,
// with one OpenAI-shaped SSE error event, and then the stream closes.
func TestStreamFaults(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, p := range providers {
		for _, kind := range []fp.FaultKind{fp.Cut, fp.StreamError, fp.Malformed} {
			t.Run(p.backend+"/"+string(kind), func(t *testing.T) {
				t.Parallel()
				marker := newMarker()
				r := e.post(t, "/v1/chat/completions", chatBody(t, p.faultModel(kind), marker, true))
				if r.status != 200 {
					t.Fatalf("status = %d, want 200 (the stream had started): %s", r.status, r.body)
				}
				events := parseSSE(t, r.body)
				if len(events) == 0 {
					t.Fatalf("no events; body: %q", r.body)
				}
				last := events[len(events)-1]
				if !gjson.Get(last.data, "error").Exists() {
					t.Fatalf("the last event is not an error event: %q; all events: %q", last.data, events)
				}
				checkErrorShape(t, []byte(last.data))
				// The chunks' own shape is TestStreamFraming's job.
				for i, ev := range events[:len(events)-1] {
					if ev.data == "[DONE]" || gjson.Get(ev.data, "error").Exists() {
						t.Errorf("event %d before the final error is %q", i, ev.data)
					}
				}
				e.upstream(t, p.backend, marker)
			})
		}
	}
}

// With Sluice unreachable the front proxy fails closed: a 500, and the
// provider never sees the request (envoy.yaml: failure_mode_allow false).
func TestExtProcDown(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withExtProcAt(deadAddr(t)))
	for i, stream := range []bool{false, true} {
		marker := newMarker()
		r := e.post(t, "/v1/chat/completions", chatBody(t, "gpt-4o", marker, stream))
		if r.status != http.StatusInternalServerError {
			t.Errorf("stream=%v: status = %d, want 500 (fail closed); body: %q", stream, r.status, r.body)
		}
		rec := e.requestRecords(t, i+1)
		if len(rec) > i && (rec[i].Cluster != "" || rec[i].Upstream != nil) {
			t.Errorf("stream=%v: the stand-in sent the request to cluster %q", stream, rec[i].Cluster)
		}
	}
	for _, b := range e.fakes.Backends() {
		if n := len(e.fakes.Fake(b).Requests()); n != 0 {
			t.Errorf("the %s fake received %d requests with ext_proc down, want none", b, n)
		}
	}
}

// deadAddr is an address where nothing serves: every connection is closed
// at once. Holding the port, rather than closing a listener, keeps a
// parallel test's Sluice from taking it.
func deadAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() }) // Accept then returns and the loop ends
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			_ = conn.Close() // the point is to refuse service
		}
	}()
	return ln.Addr().String()
}
