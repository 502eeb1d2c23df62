package envoystandin_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	extprocv3 "github.com/envoyproxy/go-control-plane/envoy/service/ext_proc/v3"
)

const bufferedModes = `
processing_mode: { request_body_mode: BUFFERED, response_body_mode: BUFFERED }
message_timeout: 5s
`

// routeTo picks backend b from the request body response, the way Sluice
// routes after reading the model.
func routeTo(b string) procFunc {
	return func(req *extprocv3.ProcessingRequest) ([]*extprocv3.ProcessingResponse, error) {
		if req.GetRequestBody() != nil {
			mut := &extprocv3.HeaderMutation{SetHeaders: []*corev3.HeaderValueOption{set("x-backend", b), set(":path", "/v1/chat")}}
			return []*extprocv3.ProcessingResponse{answer(req, common(mut, nil, true))}, nil
		}
		return pass(req)
	}
}

func TestBufferedFlow(t *testing.T) {
	url, records, proc, a, _ := setup(t, bufferedModes, routeTo("a"), nil)
	resp, body := post(t, url+"/anything?x=1", `{"model":"m"}`, "Content-Type", "application/json", "X-Mixed-Case", "v")
	if resp == nil || resp.StatusCode != http.StatusOK || body != `{"ok":true}` {
		t.Fatalf("got %v %q", resp, body)
	}
	rec := record(t, records)
	if rec.Route != "a" || rec.Cluster != "a" || rec.Upstream.Authority != "a.example.com" || rec.Upstream.Path != "/v1/chat" {
		t.Errorf("record = %+v upstream %+v", rec, rec.Upstream)
	}
	got := a.requests()
	if len(got) != 1 || got[0].host != "a.example.com" || got[0].path != "/v1/chat" || got[0].body != `{"model":"m"}` {
		t.Fatalf("upstream saw %+v", got)
	}
	var kinds []string
	for _, m := range proc.messages() {
		kinds = append(kinds, kind(m))
	}
	if want := []string{"request_headers", "request_body", "response_headers", "response_body"}; !slices.Equal(kinds, want) {
		t.Errorf("messages = %v, want %v", kinds, want)
	}
	msgs := proc.messages()
	keys := map[string]string{}
	for _, h := range msgs[0].GetRequestHeaders().GetHeaders().GetHeaders() {
		if h.GetKey() != strings.ToLower(h.GetKey()) {
			t.Errorf("header key %q not lower-case", h.GetKey())
		}
		keys[h.GetKey()] = string(h.GetRawValue())
	}
	for k, want := range map[string]string{":method": "POST", ":path": "/anything?x=1", ":scheme": "http", "x-mixed-case": "v"} {
		if keys[k] != want {
			t.Errorf("request header %s = %q, want %q", k, keys[k], want)
		}
	}
	if keys[":authority"] == "" || keys["x-request-id"] == "" {
		t.Errorf("missing :authority or x-request-id in %v", keys)
	}
	status := ""
	for _, h := range msgs[2].GetResponseHeaders().GetHeaders().GetHeaders() {
		if h.GetKey() == ":status" {
			status = string(h.GetRawValue())
		}
	}
	if status != "200" {
		t.Errorf("response :status = %q", status)
	}
}
