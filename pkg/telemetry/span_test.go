package telemetry_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/sluice-gw/sluice/pkg/identity"
	"github.com/sluice-gw/sluice/pkg/pii"
	"github.com/sluice-gw/sluice/pkg/pipeline"
	"github.com/sluice-gw/sluice/pkg/telemetry"
)

func attrMap(kvs []attribute.KeyValue) map[string]any {
	out := map[string]any{}
	for _, kv := range kvs {
		out[string(kv.Key)] = kv.Value.AsInterface()
	}
	return out
}

func TestServerSpan(t *testing.T) {
	snap := loadConfig(t)
	spans := tracetest.NewInMemoryExporter()
	tel := newTelemetry(t, snap, spans)
	x := chatExchange(snap)
	ctx := tel.Begin(context.Background(), x)
	_, ps := telemetry.StartPolicy(ctx)
	ps.End(x.Decision, nil)
	for _, c := range streamChunks {
		tel.Released(ctx, x, []byte(c))
	}
	x.End(ctx)

	got := spans.GetSpans()
	if len(got) != 2 {
		t.Fatalf("got %d spans, want the policy span and the server span", len(got))
	}
	pol, srv := got[0], got[1]
	if srv.SpanKind != trace.SpanKindServer || srv.Name != "chat gpt-4o" {
		t.Errorf("server span = %s %q, want server \"chat gpt-4o\"", srv.SpanKind, srv.Name)
	}
	if tid := srv.SpanContext.TraceID().String(); tid != "0af7651916cd43dd8448eb211c80319c" {
		t.Errorf("trace id = %s, want the traceparent's", tid)
	}
	if pid := srv.Parent.SpanID().String(); pid != "b7ad6b7169203331" || !srv.Parent.IsRemote() {
		t.Errorf("parent = %s (remote %v), want the traceparent's span b7ad6b7169203331", pid, srv.Parent.IsRemote())
	}
	want := map[string]any{
		"gen_ai.operation.name":          "chat",
		"gen_ai.provider.name":           "openai",
		"gen_ai.request.model":           "gpt-4o",
		"gen_ai.response.model":          "gpt-4o-2024-08-06",
		"gen_ai.response.id":             "chatcmpl-1",
		"gen_ai.response.finish_reasons": []string{"stop"},
		"gen_ai.request.max_tokens":      int64(100),
		"gen_ai.request.temperature":     0.2,
		"gen_ai.request.top_p":           0.9,
		"gen_ai.request.seed":            int64(7),
		"gen_ai.request.stop_sequences":  []string{"END"},
		"gen_ai.usage.input_tokens":      int64(12),
		"gen_ai.usage.output_tokens":     int64(5),
		"server.address":                 "api.openai.com",
		"http.response.status_code":      int64(200),
		"sluice.request_id":              "req-1",
		"sluice.tenant":                  "acme",
		"sluice.decision_id":             "dec-1",
		"sluice.backend":                 "openai",
		"sluice.cache":                   "miss",
		"sluice.cost_usd":                0.0015,
		"sluice.pii.types":               []string{"PHONE_NUMBER"},
		"sluice.guardrail.actions":       []string{"banned_phrase:block"},
		"gen_ai.input.messages":          `[{"role":"user","parts":[{"type":"text","content":"call <NUMBER>"}]}]`,
		"gen_ai.output.messages":         `[{"role":"assistant","parts":[{"type":"text","content":"call me at <NUMBER>"}],"finish_reason":"stop"}]`,
	}
	if diff := cmp.Diff(want, attrMap(srv.Attributes)); diff != "" {
		t.Errorf("server span attributes (-want +got):\n%s", diff)
	}
	var events []string
	for _, e := range srv.Events {
		events = append(events, e.Name)
	}
	if diff := cmp.Diff([]string{"sluice.pii", "sluice.guardrail", "sluice.cache"}, events); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	if pol.Parent.SpanID() != srv.SpanContext.SpanID() || pol.Name != "sluice.policy.evaluate" {
		t.Errorf("policy span %q has parent %s, want a child of the server span", pol.Name, pol.Parent.SpanID())
	}
	pa := attrMap(pol.Attributes)
	if pa["sluice.policy.result"] != "allow" || pa["sluice.decision_id"] != "dec-1" || pa["sluice.policy.remembered"] != false {
		t.Errorf("policy span attributes = %v", pa)
	}
}

func TestNoContentWithoutCapture(t *testing.T) {
	snap := loadConfig(t)
	cfg := *snap.Telemetry
	cfg.CaptureContent = false
	snap.Telemetry = &cfg
	spans := tracetest.NewInMemoryExporter()
	tel := newTelemetry(t, snap, spans)
	x := chatExchange(snap)
	ctx := tel.Begin(context.Background(), x)
	for _, c := range streamChunks {
		tel.Released(ctx, x, []byte(c))
	}
	x.End(ctx)
	for _, s := range spans.GetSpans() {
		a := attrMap(s.Attributes)
		if _, ok := a["gen_ai.input.messages"]; ok {
			t.Errorf("span %q records the prompt with capture_content off", s.Name)
		}
		if _, ok := a["gen_ai.output.messages"]; ok {
			t.Errorf("span %q records the completion with capture_content off", s.Name)
		}
	}
}

func TestUnsampledParentIsNotRecorded(t *testing.T) {
	snap := loadConfig(t)
	spans := tracetest.NewInMemoryExporter()
	tel := newTelemetry(t, snap, spans)
	x := chatExchange(snap)
	x.Header[1].Value = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00"
	ctx := tel.Begin(context.Background(), x)
	_, ps := telemetry.StartPolicy(ctx)
	ps.End(x.Decision, nil)
	x.End(ctx)
	if n := len(spans.GetSpans()); n != 0 {
		t.Errorf("exported %d spans for a request whose parent was not sampled", n)
	}
}

func TestPIIMasker(t *testing.T) {
	scanner, err := pii.New(pii.Config{})
	if err != nil {
		t.Fatal(err)
	}
	mask := telemetry.PIIMasker(scanner)
	tests := []struct{ in, want string }{
		{"write to ann@example.com today", "write to <EMAIL_ADDRESS> today"},
		{"nothing here", "nothing here"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := string(mask(nil, []byte(tt.in))); got != tt.want {
			t.Errorf("mask(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// Exchanges that end early or oddly still end their span and record.
func TestOddExchanges(t *testing.T) {
	snap := loadConfig(t)
	sampled := pipeline.Headers{{Key: "traceparent", Value: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}}
	tests := []struct {
		name string
		x    *pipeline.Exchange
	}{
		{"no config", &pipeline.Exchange{Header: sampled}},
		{"nothing known", &pipeline.Exchange{Config: snap, Header: sampled}},
		{"unknown model, JWT tenant", &pipeline.Exchange{Config: snap, Header: sampled, API: pipeline.APIChat, Model: "nope",
			Identity: &identity.Identity{Tenant: "from-a-claim"}, Outcome: pipeline.Outcome{Status: 404, Error: "model_not_found"}}},
		{"fallback attempt", &pipeline.Exchange{Config: snap, Header: sampled, Attempt: "openai"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spans := tracetest.NewInMemoryExporter()
			tel := newTelemetry(t, snap, spans)
			ctx := tel.Begin(context.Background(), tt.x)
			tel.Released(ctx, tt.x, []byte("not json"))
			tt.x.End(ctx)
			if n := len(spans.GetSpans()); n != 1 {
				t.Errorf("%d spans, want 1", n)
			}
		})
	}
}

func TestKeyAndUserLabelsWhenConfigured(t *testing.T) {
	snap := loadConfig(t)
	cfg := *snap.Telemetry
	cfg.LabelKeys, cfg.LabelUsers = true, true
	snap.Telemetry = &cfg
	tel := newTelemetry(t, snap, nil)
	x := chatExchange(snap)
	x.End(tel.Begin(context.Background(), x))
	if m := find(scrape(t, tel), "sluice_requests_total", map[string]string{"sluice_key": "k1", "sluice_user": "ann"}); m == nil {
		t.Error("no request series labelled with the key and user")
	}
}
