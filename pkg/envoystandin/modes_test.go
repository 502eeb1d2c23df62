package envoystandin_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	extprocfilterv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/ext_proc/v3"
	extprocv3 "github.com/envoyproxy/go-control-plane/envoy/service/ext_proc/v3"
)

var streamedResponse = &extprocfilterv3.ProcessingMode{
	RequestHeaderMode: extprocfilterv3.ProcessingMode_SEND, ResponseHeaderMode: extprocfilterv3.ProcessingMode_SEND,
	RequestBodyMode: extprocfilterv3.ProcessingMode_BUFFERED, ResponseBodyMode: extprocfilterv3.ProcessingMode_STREAMED,
	RequestTrailerMode: extprocfilterv3.ProcessingMode_SKIP, ResponseTrailerMode: extprocfilterv3.ProcessingMode_SKIP,
}

// sse writes three events, flushing each.
func sse(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("content-type", "text/event-stream")
	for i := range 3 {
		_, _ = fmt.Fprintf(w, "data: %d\n\n", i)
		_ = http.NewResponseController(w).Flush()
		time.Sleep(20 * time.Millisecond)
	}
}

// overrideOn answers `phase` with a STREAMED response mode override and
// upper-cases every streamed response chunk.
func overrideOn(phase string) procFunc {
	return func(req *extprocv3.ProcessingRequest) ([]*extprocv3.ProcessingResponse, error) {
		if rb := req.GetResponseBody(); rb != nil {
			return []*extprocv3.ProcessingResponse{answer(req, common(nil, []byte(strings.ToUpper(string(rb.GetBody()))), false))}, nil
		}
		r := answer(req, nil)
		if kind(req) == phase {
			r.ModeOverride = streamedResponse
		}
		return []*extprocv3.ProcessingResponse{r}, nil
	}
}

func TestModeOverride(t *testing.T) {
	const allowed = bufferedModes + "allow_mode_override: true\n"
	tests := []struct {
		name     string
		cfg      string
		phase    string
		streamed bool // one response_body message per event, not one in all
		rejected int
	}{
		{"streamed after response headers", allowed, "response_headers", true, 0},
		{"streamed after request headers", allowed, "request_headers", true, 0},
		{"needs allow_mode_override", bufferedModes, "response_headers", false, 0},
		{"ignored in body responses", allowed, "request_body", false, 0},
		{"must be in allowed_override_modes", allowed + "allowed_override_modes: [{ response_body_mode: NONE }]", "response_headers", false, 1},
		{"listed in allowed_override_modes", allowed + `allowed_override_modes: [{ request_header_mode: SKIP, request_body_mode: BUFFERED,
  response_body_mode: STREAMED }]`, "response_headers", true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url, records, proc, _, _ := setup(t, tt.cfg, overrideOn(tt.phase), sse)
			resp, body := post(t, url, "{}", "x-backend", "a")
			if resp == nil || resp.StatusCode != 200 || strings.ToUpper(body) != body || !strings.Contains(body, "DATA: 2") {
				t.Fatalf("got %v %q", resp, body)
			}
			n := 0
			for _, m := range proc.messages() {
				if m.GetResponseBody() != nil {
					n++
				}
			}
			if (n >= 3) != tt.streamed || (!tt.streamed && n != 1) {
				t.Errorf("%d response_body messages, streamed = %v", n, tt.streamed)
			}
			if rec := record(t, records); rec.Counters.ModeOverrideRejected != tt.rejected {
				t.Errorf("rejected overrides = %d, want %d", rec.Counters.ModeOverrideRejected, tt.rejected)
			}
		})
	}
}

func TestStreamedRequestBody(t *testing.T) {
	fn := func(req *extprocv3.ProcessingRequest) ([]*extprocv3.ProcessingResponse, error) {
		if rb := req.GetRequestBody(); rb != nil {
			return []*extprocv3.ProcessingResponse{answer(req, common(nil, []byte("<"+string(rb.GetBody())+">"), false))}, nil
		}
		return pass(req)
	}
	url, _, proc, a, _ := setup(t, "processing_mode: { request_body_mode: STREAMED }", fn, nil)
	pr, pw := io.Pipe()
	go func() {
		for _, part := range []string{"one", "two"} {
			_, _ = pw.Write([]byte(part))
		}
		_ = pw.Close()
	}()
	req, _ := http.NewRequest(http.MethodPost, url, pr)
	req.Header.Set("x-backend", "a")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("%v %v", resp, err)
	}
	_ = resp.Body.Close()
	var sent []string
	for _, m := range proc.messages() {
		if rb := m.GetRequestBody(); rb != nil {
			sent = append(sent, string(rb.GetBody()))
		}
	}
	want := "<" + strings.Join(sent, "><") + ">"
	if got := a.requests()[0].body; got != want || !strings.Contains(got, "one") {
		t.Errorf("upstream body %q, want %q (chunks %q)", got, want, sent)
	}
}

func TestBufferLimit(t *testing.T) {
	big := strings.Repeat("x", 2048)
	tests := []struct {
		name     string
		request  string
		upstream http.HandlerFunc
		status   int
	}{
		{"request over the limit", big, nil, http.StatusRequestEntityTooLarge},
		{"response over the limit", "{}", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, big) }, http.StatusInternalServerError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url, _, _, _, _ := setup(t, bufferedModes, pass, tt.upstream)
			if resp, body := post(t, url, tt.request, "x-backend", "a"); resp == nil || resp.StatusCode != tt.status {
				t.Fatalf("got %v %q, want %d", resp, body, tt.status)
			}
		})
	}
}

// BUFFERED_PARTIAL sends the body up to the buffer limit, then the rest
// goes upstream unprocessed.
func TestBufferedPartial(t *testing.T) {
	big := strings.Repeat("x", 3000)
	url, _, proc, a, _ := setup(t, "processing_mode: { request_body_mode: BUFFERED_PARTIAL }", pass, nil)
	if resp, body := post(t, url, big, "x-backend", "a"); resp == nil || resp.StatusCode != 200 {
		t.Fatalf("got %v %q", resp, body)
	}
	var sent []*extprocv3.HttpBody
	for _, m := range proc.messages() {
		if rb := m.GetRequestBody(); rb != nil {
			sent = append(sent, rb)
		}
	}
	if len(sent) != 1 || len(sent[0].GetBody()) != 1024 || sent[0].GetEndOfStream() {
		t.Fatalf("sent %d body messages, first %d bytes", len(sent), len(sent[0].GetBody()))
	}
	if got := a.requests()[0]; got.body != big || got.contentLength != -1 {
		t.Errorf("upstream got %d bytes, content-length %d", len(got.body), got.contentLength)
	}
}
