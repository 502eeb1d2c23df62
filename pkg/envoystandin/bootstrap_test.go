package envoystandin_test

import (
	"bufio"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	extprocv3 "github.com/envoyproxy/go-control-plane/envoy/service/ext_proc/v3"

	"github.com/sluice-gw/sluice/pkg/envoystandin"
)

// fakeSluice behaves like Sluice against envoy/envoy.yaml: it routes to
// openai from the body, swaps the client's key for the provider's, and
// streams SSE responses.
func fakeSluice(req *extprocv3.ProcessingRequest) ([]*extprocv3.ProcessingResponse, error) {
	switch {
	case req.GetRequestBody() != nil:
		mut := &extprocv3.HeaderMutation{
			SetHeaders: []*corev3.HeaderValueOption{
				set("x-sluice-backend", "openai"), set(":path", "/v1/chat/completions"), set("authorization", "Bearer provider-key"),
			},
			RemoveHeaders: []string{"x-api-key"},
		}
		return []*extprocv3.ProcessingResponse{answer(req, common(mut, nil, true))}, nil
	case req.GetResponseHeaders() != nil:
		r := answer(req, nil)
		r.ModeOverride = streamedResponse
		return []*extprocv3.ProcessingResponse{r}, nil
	}
	return pass(req)
}

func realBootstrap(t *testing.T, fn procFunc, openai http.HandlerFunc) (string, <-chan envoystandin.RequestRecord, *fakeUpstream) {
	t.Helper()
	cfg, err := envoystandin.Load("../../envoy/envoy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	_, procAddr := startProc(t, fn)
	up := startUpstream(t, openai)
	url, records := front(t, cfg, map[string]string{"sluice_ext_proc": procAddr, "openai": up.addr()})
	return url, records, up
}

// Each SSE event must reach the client while the provider is still
// streaming: the stand-in flushes every processed chunk.
func TestRealBootstrapStreamsSSE(t *testing.T) {
	next := make(chan struct{})
	openai := func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("content-type", "text/event-stream")
		_, _ = io.WriteString(w, "data: first\n\n")
		_ = http.NewResponseController(w).Flush()
		select {
		case <-next:
		case <-time.After(5 * time.Second):
		}
		_, _ = io.WriteString(w, "data: [DONE]\n\n")
	}
	url, records, up := realBootstrap(t, fakeSluice, openai)
	req, _ := http.NewRequest(http.MethodPost, url+"/v1/chat/completions", strings.NewReader(`{"model":"gpt","stream":true}`))
	req.Header.Set("x-api-key", "client-key")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	rd := bufio.NewReader(resp.Body)
	read := make(chan string, 1)
	go func() {
		line, _ := rd.ReadString('\n')
		read <- line
	}()
	select {
	case line := <-read:
		if line != "data: first\n" {
			t.Fatalf("first line %q", line)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("first event not flushed to the client")
	}
	close(next)
	rest, _ := io.ReadAll(rd)
	if !strings.Contains(string(rest), "[DONE]") {
		t.Errorf("rest %q", rest)
	}
	rec := record(t, records)
	got := up.requests()[0]
	if rec.Route != "openai" || got.host != "api.openai.com" || got.path != "/v1/chat/completions" ||
		got.header.Get("authorization") != "Bearer provider-key" || got.header.Get("x-api-key") != "" {
		t.Errorf("route %q upstream %+v", rec.Route, got)
	}
	if rec.Counters.RejectedHeaderMutations != 0 {
		t.Errorf("envoy.yaml rejected %d of Sluice's mutations", rec.Counters.RejectedHeaderMutations)
	}
}

// A client cannot pick a backend itself: envoy.yaml drops x-sluice-backend
// before routing, so without Sluice's choice the catch-all answers.
func TestRealBootstrapIgnoresClientBackend(t *testing.T) {
	url, records, up := realBootstrap(t, pass, nil)
	resp, body := post(t, url+"/v1/chat/completions", "{}", "x-sluice-backend", "openai")
	if resp == nil || resp.StatusCode != http.StatusNotFound || resp.Header.Get("content-type") != "application/json" ||
		!strings.Contains(body, `"code":"not_found"`) {
		t.Fatalf("got %v %q", resp, body)
	}
	if len(up.requests()) != 0 || record(t, records).Route != "no_backend" {
		t.Error("the client's x-sluice-backend was honoured")
	}
}
