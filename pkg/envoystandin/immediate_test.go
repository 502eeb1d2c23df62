package envoystandin_test

import (
	"net/http"
	"testing"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	extprocv3 "github.com/envoyproxy/go-control-plane/envoy/service/ext_proc/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
)

func immediate(code int, body string, hdr ...*corev3.HeaderValueOption) *extprocv3.ProcessingResponse {
	ir := &extprocv3.ImmediateResponse{Body: []byte(body), Headers: &extprocv3.HeaderMutation{SetHeaders: hdr}, Details: "test_reply"}
	if code != 0 {
		ir.Status = &typev3.HttpStatus{Code: typev3.StatusCode(code)}
	}
	return &extprocv3.ProcessingResponse{Response: &extprocv3.ProcessingResponse_ImmediateResponse{ImmediateResponse: ir}}
}

func TestImmediateResponse(t *testing.T) {
	const streamedResp = "processing_mode: { request_body_mode: BUFFERED, response_body_mode: STREAMED }"
	tests := []struct {
		name      string
		cfg       string
		phase     string
		resp      *extprocv3.ProcessingResponse
		status    int // 0: the stream is reset
		body      string
		header    string // x-sluice-reason, checked when set
		forwarded bool
	}{
		{"on request headers", bufferedModes, "request_headers",
			immediate(429, `{"error":{}}`, set("content-type", "application/json"), set("x-sluice-reason", "limit")), 429, `{"error":{}}`, "limit", false},
		{"unset status becomes 200", bufferedModes, "request_body", immediate(0, "cached"), 200, "cached", "", false},
		{"status below 200 becomes 200", bufferedModes, "request_body", immediate(100, "x"), 200, "x", "", false},
		{"headers obey the mutation rules", bufferedModes, "request_headers", immediate(403, "no", set("x-envoy-thing", "1")), 403, "no", "", false},
		{"on buffered response body", bufferedModes, "response_body", immediate(502, "bad"), 502, "bad", "", true},
		{"after the response started, a reset", streamedResp, "response_body", immediate(502, "bad"), 0, "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fn := func(req *extprocv3.ProcessingRequest) ([]*extprocv3.ProcessingResponse, error) {
				if kind(req) == tt.phase {
					return []*extprocv3.ProcessingResponse{tt.resp}, nil
				}
				return pass(req)
			}
			url, records, _, a, _ := setup(t, tt.cfg, fn, nil)
			resp, body := post(t, url, "{}", "x-backend", "a")
			rec := record(t, records)
			if tt.status == 0 {
				if !rec.Reset || (resp != nil && body == `{"ok":true}`) {
					t.Fatalf("want a reset, got %v %q (record %+v)", resp, body, rec)
				}
				return
			}
			if resp == nil || resp.StatusCode != tt.status || body != tt.body {
				t.Fatalf("got %v %q, want %d %q", resp, body, tt.status, tt.body)
			}
			if tt.header != "" && resp.Header.Get("x-sluice-reason") != tt.header {
				t.Errorf("x-sluice-reason = %q", resp.Header.Get("x-sluice-reason"))
			}
			if resp.Header.Get("x-envoy-thing") != "" {
				t.Error("x-envoy-thing was set")
			}
			if got := len(a.requests()) == 1; got != tt.forwarded {
				t.Errorf("forwarded = %v, want %v", got, tt.forwarded)
			}
			if rec.LocalReply != "test_reply" || rec.Status != tt.status {
				t.Errorf("record local reply %q status %d", rec.LocalReply, rec.Status)
			}
			if tt.status != http.StatusOK && resp.Header.Get("content-type") == "" {
				t.Error("no content-type")
			}
		})
	}
}
