package envoystandin_test

import (
	"net/http"
	"strconv"
	"sync"
	"testing"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	extprocv3 "github.com/envoyproxy/go-control-plane/envoy/service/ext_proc/v3"
)

func TestClearRouteCache(t *testing.T) {
	toB := &extprocv3.HeaderMutation{SetHeaders: []*corev3.HeaderValueOption{set("x-backend", "b")}}
	tests := []struct {
		name    string
		modes   string // default: bufferedModes
		phase   string // which message the mutation answers
		mut     *extprocv3.HeaderMutation
		clear   bool
		route   string
		status  int
		ignored int
	}{
		{name: "header mutation and clear in headers", phase: "request_headers", mut: toB, clear: true, route: "b", status: 200},
		{name: "header mutation and clear in buffered body", phase: "request_body", mut: toB, clear: true, route: "b", status: 200},
		{name: "header mutation without clear keeps the first route", phase: "request_body", mut: toB, route: "default", status: 404},
		{name: "clear without header mutation is ignored", phase: "request_body", clear: true, route: "default", status: 404, ignored: 1},
		{name: "empty header mutation still clears", phase: "request_body", mut: &extprocv3.HeaderMutation{}, clear: true, route: "default", status: 404},
		{name: "response path never re-routes", phase: "response_headers", mut: toB, clear: true, route: "default", status: 404},
		{name: "streamed body answers cannot re-route", modes: "processing_mode: { request_body_mode: STREAMED }",
			phase: "request_body", mut: toB, clear: true, route: "default", status: 404, ignored: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var once sync.Once
			fn := func(req *extprocv3.ProcessingRequest) ([]*extprocv3.ProcessingResponse, error) {
				mutate := false
				if kind(req) == tt.phase {
					once.Do(func() { mutate = true })
				}
				if mutate {
					return []*extprocv3.ProcessingResponse{answer(req, common(tt.mut, nil, tt.clear))}, nil
				}
				return pass(req)
			}
			modes := tt.modes
			if modes == "" {
				modes = bufferedModes
			}
			url, records, _, _, b := setup(t, modes, fn, nil)
			resp, body := post(t, url, "{}")
			if resp == nil || resp.StatusCode != tt.status {
				t.Fatalf("status %v %q, want %d", resp, body, tt.status)
			}
			rec := record(t, records)
			if rec.Route != tt.route || rec.Counters.ClearRouteCacheIgnored != tt.ignored {
				t.Errorf("route %q ignored %d, want %q %d", rec.Route, rec.Counters.ClearRouteCacheIgnored, tt.route, tt.ignored)
			}
			if tt.route == "b" && len(b.requests()) != 1 {
				t.Errorf("cluster b got %d requests", len(b.requests()))
			}
		})
	}
}

// In BUFFERED mode with the headers sent, a replaced body must match a
// content-length that is still present.
func TestContentLength(t *testing.T) {
	const newBody = `{"model":"rewritten"}`
	tests := []struct {
		name       string
		modes      string
		setLength  string // content-length set with the new body; "" none, "-" removed
		status     int
		upstreamCL int64 // -1: sent without content-length
	}{
		{name: "stale content-length fails", modes: bufferedModes, status: 500},
		{name: "updated content-length", modes: bufferedModes, setLength: strconv.Itoa(len(newBody)), status: 200, upstreamCL: int64(len(newBody))},
		{name: "removed content-length", modes: bufferedModes, setLength: "-", status: 200, upstreamCL: -1},
		{name: "buffered without headers drops it up front",
			modes: "processing_mode: { request_header_mode: SKIP, request_body_mode: BUFFERED }", status: 200, upstreamCL: -1},
		{name: "streamed drops it up front", modes: "processing_mode: { request_body_mode: STREAMED }", status: 200, upstreamCL: -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fn := func(req *extprocv3.ProcessingRequest) ([]*extprocv3.ProcessingResponse, error) {
				if req.GetRequestBody() == nil {
					return pass(req)
				}
				mut := &extprocv3.HeaderMutation{}
				switch tt.setLength {
				case "":
				case "-":
					mut.RemoveHeaders = []string{"content-length"}
				default:
					mut.SetHeaders = []*corev3.HeaderValueOption{set("content-length", tt.setLength)}
				}
				body := []byte(newBody)
				if !req.GetRequestBody().GetEndOfStream() {
					body = req.GetRequestBody().GetBody()
				}
				return []*extprocv3.ProcessingResponse{answer(req, common(mut, body, false))}, nil
			}
			url, records, _, a, _ := setup(t, tt.modes, fn, nil)
			resp, body := post(t, url, `{"model":"m"}`, "x-backend", "a")
			if resp == nil || resp.StatusCode != tt.status {
				t.Fatalf("status %v %q, want %d", resp, body, tt.status)
			}
			rec := record(t, records)
			if tt.status != http.StatusOK {
				if rec.Upstream != nil {
					t.Error("request was forwarded")
				}
				return
			}
			got := a.requests()[0]
			if got.contentLength != tt.upstreamCL || got.body == "" {
				t.Errorf("upstream content-length %d body %q, want %d", got.contentLength, got.body, tt.upstreamCL)
			}
		})
	}
}
