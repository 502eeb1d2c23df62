package envoystandin_test

import (
	"slices"
	"strings"
	"testing"

	extprocv3 "github.com/envoyproxy/go-control-plane/envoy/service/ext_proc/v3"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/sluice-gw/sluice/pkg/envoystandin"
)

func kinds(msgs []*extprocv3.ProcessingRequest) []string {
	var out []string
	for _, m := range msgs {
		out = append(out, kind(m))
	}
	return out
}

// What each attempt's upstream ext_proc stream and provider see.
func TestFallbackAttemptStreams(t *testing.T) {
	run := runFallback(t, "5s", "", reply(429, "slow down"), reply(200, `{"ok":"p2"}`))
	if resp, body := post(t, run.url+"/v1/chat/completions", `{"model":"m"}`); resp == nil || resp.StatusCode != 200 {
		t.Fatalf("got %v %q", resp, body)
	}
	rec := record(t, run.records)
	if rec.Route != "chain" || rec.Cluster != "p2" || rec.Upstream.Authority != "p2.example.com" ||
		rec.Attempts[0].Upstream.Authority != "p1.example.com" || rec.Attempts[1].Counters.MessagesReceived != 4 {
		t.Errorf("record %+v, attempts %+v", rec, rec.Attempts)
	}
	// Each provider gets its own host (auto_host_rewrite, from the configured
	// endpoint although the override was dialled), path, key and body, the
	// body being what left the downstream filter, not the previous attempt's.
	for b, up := range map[string]*fakeUpstream{"p1": run.p1, "p2": run.p2} {
		got := up.requests()
		if len(got) != 1 || got[0].host != b+".example.com" || got[0].path != "/"+b+"/chat" ||
			got[0].header.Get("authorization") != "key-"+b || got[0].body != b+":"+downstreamBody ||
			got[0].header.Get("x-fallback") != "" {
			t.Errorf("%s saw %+v", b, got)
		}
	}
	p1, p2 := run.proc.stream(t, "p1", 0), run.proc.stream(t, "p2", 0)
	// The router dropped attempt 1 after its response headers: its stream
	// was cancelled, and saw no response body (the script asked for NONE).
	if got := kinds(p1.msgs); !slices.Equal(got, []string{"request_headers", "request_body", "response_headers"}) {
		t.Errorf("p1 stream saw %v", got)
	}
	if status.Code(p1.end) != codes.Canceled {
		t.Errorf("p1 stream ended with %v, want a cancel", p1.end)
	}
	if got := kinds(p2.msgs); !slices.Equal(got, []string{"request_headers", "request_body", "response_headers", "response_body"}) {
		t.Errorf("p2 stream saw %v", got)
	}
	for _, s := range []streamLog{p1, p2} {
		if body := string(s.msgs[1].GetRequestBody().GetBody()); body != downstreamBody {
			t.Errorf("%s stream got request body %q, want %q", s.backend, body, downstreamBody)
		}
		plan := s.msgs[0].GetMetadataContext().GetFilterMetadata()["sluice"].GetFields()["fallback"].GetStringValue()
		if plan != "p1=m1,p2=m2" {
			t.Errorf("%s stream: sluice metadata fallback = %q", s.backend, plan)
		}
	}
	// As in Envoy, every attempt's upstream filters work on the router's one
	// request header map: attempt 2 starts from what attempt 1's left.
	h1, h2 := p1.msgs[0].GetRequestHeaders().GetHeaders(), p2.msgs[0].GetRequestHeaders().GetHeaders()
	if v, _ := headerValue(h1, "x-fallback"); v != "p1=m1,p2=m2" {
		t.Errorf("attempt 1 x-fallback = %q", v)
	}
	if _, ok := headerValue(h2, "x-fallback"); ok {
		t.Error("attempt 2 still sees x-fallback, which attempt 1 removed")
	}
	if v, _ := headerValue(h2, "authorization"); v != "key-p1" {
		t.Errorf("attempt 2 sees authorization %q, want attempt 1's key-p1", v)
	}
	down := run.proc.stream(t, "", 0)
	rh := down.msgs[2].GetResponseHeaders().GetHeaders()
	if b, _ := headerValue(rh, "x-sluice-upstream-backend"); b != "p2" {
		t.Errorf("downstream response headers: x-sluice-upstream-backend %q", b)
	}
}

// An SSE success streams through the attempt's filter and the downstream
// one, chunk by chunk.
func TestFallbackStreamsSSE(t *testing.T) {
	run := runFallback(t, "5s", "", reply(503, "down"), sse)
	resp, body := post(t, run.url+"/v1/chat/completions", `{"model":"m","stream":true}`)
	if resp == nil || resp.StatusCode != 200 || body != strings.ToUpper(body) || !strings.Contains(body, "DATA: 2") {
		t.Fatalf("got %v %q", resp, body)
	}
	n := 0
	for _, m := range run.proc.stream(t, "p2", 0).msgs {
		if m.GetResponseBody() != nil {
			n++
		}
	}
	if n < 3 {
		t.Errorf("p2 stream got %d response_body messages, want one per event", n)
	}
	if got := attemptsOf(record(t, run.records)); len(got) != 2 || got[1].Status != 200 {
		t.Errorf("attempts %v", got)
	}
}

func TestNewRejectsAggregateOverride(t *testing.T) {
	_, err := envoystandin.New(fallbackConfig(t, "1s"), envoystandin.Options{ClusterOverrides: map[string]string{"chain": "127.0.0.1:1"}})
	if err == nil || !strings.Contains(err.Error(), "aggregate") {
		t.Fatalf("New = %v, want overriding an aggregate cluster refused", err)
	}
}

// envoy.yaml's chain with a Sluice that keeps to the contract: the route,
// the clusters, the host names and the mutation rules all work together.
func TestRealBootstrapFallback(t *testing.T) {
	cfg, err := envoystandin.Load("../../envoy/envoy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	proc, procAddr := startScripted(t, contractSluice)
	openai, anthropic := startUpstream(t, reply(429, "rate limited")), startUpstream(t, reply(200, `{"id":"msg"}`))
	url, records := front(t, cfg, map[string]string{
		"sluice_ext_proc": procAddr, "openai_fallback": openai.addr(), "anthropic_fallback": anthropic.addr(),
	})
	resp, body := post(t, url+"/v1/chat/completions", `{"model":"gpt-4o"}`, "authorization", "Bearer client", "x-sluice-fallback", "forged")
	if resp == nil || resp.StatusCode != 200 || body != `{"ID":"MSG"}` {
		t.Fatalf("got %v %q", resp, body)
	}
	rec := record(t, records)
	if got := attemptsOf(rec); len(got) != 2 || got[0] != (attemptView{"openai_fallback", 429, ""}) || got[1].Cluster != "anthropic_fallback" {
		t.Errorf("attempts %v", got)
	}
	o, a := openai.requests()[0], anthropic.requests()[0]
	if o.host != "api.openai.com" || o.header.Get("authorization") != "Bearer sk-openai" {
		t.Errorf("openai saw %+v", o)
	}
	if a.host != "api.anthropic.com" || a.path != "/v1/messages" || a.header.Get("x-api-key") != "sk-ant" || a.header.Get("authorization") != "" {
		t.Errorf("anthropic saw %+v (an attempt must drop the previous attempt's credentials)", a)
	}
	rejected := rec.Counters.RejectedHeaderMutations
	for _, at := range rec.Attempts {
		rejected += at.Counters.RejectedHeaderMutations
	}
	if rejected != 0 {
		t.Errorf("envoy.yaml rejected %d of the contract's mutations", rejected)
	}
	if v, _ := headerValue(proc.stream(t, "", 0).msgs[0].GetRequestHeaders().GetHeaders(), "x-sluice-fallback"); v != "" {
		t.Errorf("the client's x-sluice-fallback reached Sluice: %q", v)
	}
	// The plan reaches every attempt in the sluice metadata, although
	// attempt 1 removed the header.
	for _, b := range []string{"openai", "anthropic"} {
		md := proc.stream(t, b, 0).msgs[0].GetMetadataContext().GetFilterMetadata()["sluice"]
		if got := md.GetFields()["fallback"].GetStringValue(); got != contractPlan {
			t.Errorf("%s attempt: sluice metadata fallback = %q, want %q", b, got, contractPlan)
		}
	}
}

const contractPlan = "openai=gpt-4o,anthropic=claude-sonnet-4-5-20250929"

// contractSluice keeps to the fallback contract of docs/envoy.md.
func contractSluice(backend string, req *extprocv3.ProcessingRequest) []*extprocv3.ProcessingResponse {
	r := answer(req, nil)
	switch {
	case backend == "" && req.GetRequestBody() != nil:
		mut := mutation([]string{"authorization"}, "x-sluice-backend", "openai_then_anthropic", "x-sluice-fallback", contractPlan)
		r = answer(req, common(mut, nil, true))
		r.DynamicMetadata, _ = structpb.NewStruct(map[string]any{"sluice": map[string]any{"fallback": contractPlan}})
	case backend != "" && req.GetRequestHeaders() != nil:
		path, header, key := "/v1/chat/completions", "authorization", "Bearer sk-openai"
		if backend == "anthropic" {
			path, header, key = "/v1/messages", "x-api-key", "sk-ant"
		}
		r = answer(req, common(mutation([]string{"authorization", "x-api-key", "x-sluice-fallback"}, ":path", path, header, key), nil, false))
	case backend != "" && req.GetResponseHeaders() != nil:
		st, _ := headerValue(req.GetResponseHeaders().GetHeaders(), ":status")
		r = answer(req, common(mutation(nil, "x-sluice-upstream-backend", backend), nil, false))
		if st != "200" {
			r.ModeOverride = noneResponseBody
		}
	case backend != "" && req.GetResponseBody() != nil:
		body := []byte(strings.ToUpper(string(req.GetResponseBody().GetBody())))
		r = answer(req, common(mutation(nil, "x-sluice-translated", "1"), body, false))
	}
	return []*extprocv3.ProcessingResponse{r}
}

// mutation removes remove, then sets key/value pairs.
func mutation(remove []string, kv ...string) *extprocv3.HeaderMutation {
	m := &extprocv3.HeaderMutation{RemoveHeaders: remove}
	for i := 0; i+1 < len(kv); i += 2 {
		m.SetHeaders = append(m.SetHeaders, set(kv[i], kv[i+1]))
	}
	return m
}
