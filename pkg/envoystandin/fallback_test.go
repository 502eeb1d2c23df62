package envoystandin_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	extprocv3 "github.com/envoyproxy/go-control-plane/envoy/service/ext_proc/v3"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/sluice-gw/sluice/pkg/envoystandin"
)

// downstreamBody is the request body as it leaves the downstream filter.
const downstreamBody = `{"model":"chain","messages":[]}`

// sluiceLike scripts Sluice on a fallback route: the downstream stream
// picks the chain and publishes the plan; each attempt's stream prepares
// the request for its backend and translates a success (here: upper case).
// refuse names a backend whose stream answers with an immediate response.
func sluiceLike(refuse string) streamScript {
	return func(backend string, req *extprocv3.ProcessingRequest) []*extprocv3.ProcessingResponse {
		if backend == "" {
			return downstreamScript(req)
		}
		if backend == refuse && req.GetRequestHeaders() != nil {
			return []*extprocv3.ProcessingResponse{immediate(418, "refused by "+backend)}
		}
		return upstreamScript(backend, req)
	}
}

func downstreamScript(req *extprocv3.ProcessingRequest) []*extprocv3.ProcessingResponse {
	r := answer(req, nil)
	switch {
	case req.GetRequestBody() != nil:
		body := []byte(downstreamBody)
		mut := &extprocv3.HeaderMutation{SetHeaders: []*corev3.HeaderValueOption{
			set("x-backend", "chain"), set("x-fallback", "p1=m1,p2=m2"), lengthHeader(body)}}
		r = answer(req, common(mut, body, true))
		plan, _ := structpb.NewStruct(map[string]any{"sluice": map[string]any{"fallback": "p1=m1,p2=m2"}})
		r.DynamicMetadata = plan
	case req.GetResponseHeaders() != nil:
		if ct, _ := headerValue(req.GetResponseHeaders().GetHeaders(), "content-type"); ct == "text/event-stream" {
			r.ModeOverride = streamedResponse
		}
	}
	return []*extprocv3.ProcessingResponse{r}
}

func upstreamScript(b string, req *extprocv3.ProcessingRequest) []*extprocv3.ProcessingResponse {
	switch {
	case req.GetRequestHeaders() != nil:
		mut := &extprocv3.HeaderMutation{
			SetHeaders:    []*corev3.HeaderValueOption{set(":path", "/"+b+"/chat"), set("authorization", "key-"+b)},
			RemoveHeaders: []string{"x-fallback"},
		}
		return []*extprocv3.ProcessingResponse{answer(req, common(mut, nil, false))}
	case req.GetRequestBody() != nil:
		body := []byte(b + ":" + string(req.GetRequestBody().GetBody()))
		mut := &extprocv3.HeaderMutation{SetHeaders: []*corev3.HeaderValueOption{lengthHeader(body)}}
		return []*extprocv3.ProcessingResponse{answer(req, common(mut, body, false))}
	case req.GetResponseHeaders() != nil:
		hm := req.GetResponseHeaders().GetHeaders()
		mut := &extprocv3.HeaderMutation{SetHeaders: []*corev3.HeaderValueOption{set("x-sluice-upstream-backend", b)}}
		r := answer(req, common(mut, nil, false))
		status, _ := headerValue(hm, ":status")
		ct, _ := headerValue(hm, "content-type")
		switch {
		case status != "200":
			r.ModeOverride = noneResponseBody // errors pass through untranslated
		case ct == "text/event-stream":
			r.ModeOverride = streamedResponse
			fallthrough
		default:
			mut.SetHeaders = append(mut.SetHeaders, set("x-sluice-translated", "1"))
		}
		return []*extprocv3.ProcessingResponse{r}
	case req.GetResponseBody() != nil:
		body := strings.ToUpper(string(req.GetResponseBody().GetBody()))
		return []*extprocv3.ProcessingResponse{answer(req, common(nil, []byte(body), false))}
	}
	return nil
}

func reply(code int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("content-type", "application/json")
		w.WriteHeader(code)
		_, _ = io.WriteString(w, body)
	}
}

// hangUp closes the connection without answering.
func hangUp(w http.ResponseWriter, _ *http.Request) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err == nil {
		_ = conn.Close()
	}
}

// stall answers only after the client gave up.
func stall(w http.ResponseWriter, r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-time.After(5 * time.Second):
	}
	reply(200, "too late")(w, r)
}

type attemptView struct {
	Cluster string
	Status  int
	Failure string
}

func attemptsOf(rec envoystandin.RequestRecord) []attemptView {
	var out []attemptView
	for _, a := range rec.Attempts {
		out = append(out, attemptView{a.Cluster, a.Status, a.Failure})
	}
	return out
}

type fallbackRun struct {
	url     string
	records <-chan envoystandin.RequestRecord
	proc    *scriptedProc
	p1, p2  *fakeUpstream
}

// runFallback starts the scripted Sluice, p1 and p2 (a nil handler: nothing
// listens there), and the stand-in in front of them.
func runFallback(t *testing.T, perTry, refuse string, h1, h2 http.HandlerFunc) fallbackRun {
	t.Helper()
	proc, procAddr := startScripted(t, sluiceLike(refuse))
	r := fallbackRun{proc: proc, p1: startUpstream(t, h1), p2: startUpstream(t, h2)}
	overrides := map[string]string{"proc": procAddr, "p1": r.p1.addr(), "p2": r.p2.addr()}
	if h1 == nil {
		overrides["p1"] = deadAddr(t)
	}
	if h2 == nil {
		overrides["p2"] = deadAddr(t)
	}
	r.url, r.records = front(t, fallbackConfig(t, perTry), overrides)
	return r
}

func TestFallback(t *testing.T) {
	ok := reply(200, `{"ok":"p2"}`)
	tests := []struct {
		name     string
		p1, p2   http.HandlerFunc // nil: connection refused
		refuse   string
		status   int
		body     string
		attempts []attemptView
	}{
		{"429 fails over", reply(429, "slow down"), ok, "", 200, `{"OK":"P2"}`,
			[]attemptView{{"p1", 429, ""}, {"p2", 200, ""}}},
		{"503 fails over", reply(503, "down"), ok, "", 200, `{"OK":"P2"}`,
			[]attemptView{{"p1", 503, ""}, {"p2", 200, ""}}},
		{"connection failure fails over", nil, ok, "", 200, `{"OK":"P2"}`,
			[]attemptView{{"p1", 0, "connection_failure"}, {"p2", 200, ""}}},
		{"reset fails over", hangUp, ok, "", 200, `{"OK":"P2"}`,
			[]attemptView{{"p1", 0, "reset"}, {"p2", 200, ""}}},
		{"per-try timeout fails over", stall, ok, "", 200, `{"OK":"P2"}`,
			[]attemptView{{"p1", 0, "per_try_timeout"}, {"p2", 200, ""}}},
		{"both fail: the last response goes downstream", reply(429, "slow down"), reply(503, "p2 down"), "", 503, "p2 down",
			[]attemptView{{"p1", 429, ""}, {"p2", 503, ""}}},
		{"both refuse connections", nil, nil, "", 503,
			"upstream connect error or disconnect/reset before headers. retried and the latest reset reason: connection failure",
			[]attemptView{{"p1", 0, "connection_failure"}, {"p2", 0, "connection_failure"}}},
		{"400 is not retried", reply(400, "bad request"), ok, "", 400, "bad request",
			[]attemptView{{"p1", 400, ""}}},
		{"an upstream immediate response ends the request", ok, ok, "p1", 418, "refused by p1",
			[]attemptView{{"p1", 0, ""}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			run := runFallback(t, "0.5s", tt.refuse, tt.p1, tt.p2)
			resp, body := post(t, run.url+"/v1/chat/completions", `{"model":"m"}`)
			if resp == nil || resp.StatusCode != tt.status || body != tt.body {
				t.Fatalf("got %v %q, want %d %q", resp, body, tt.status, tt.body)
			}
			rec := record(t, run.records)
			if diff := cmp.Diff(tt.attempts, attemptsOf(rec)); diff != "" {
				t.Errorf("attempts (-want +got):\n%s", diff)
			}
			if n := run.proc.count("p2"); n != len(tt.attempts)-1 {
				t.Errorf("p2 got %d upstream ext_proc streams, want %d", n, len(tt.attempts)-1)
			}
			// Whatever ends the request goes back through the downstream filter.
			down := run.proc.stream(t, "", 0)
			final := down.msgs[len(down.msgs)-1]
			if final.GetResponseHeaders() == nil && final.GetResponseBody() == nil {
				t.Errorf("the downstream filter did not see the response (last message %s)", kind(final))
			}
		})
	}
}
