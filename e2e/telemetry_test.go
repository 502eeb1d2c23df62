package e2e

import (
	"bytes"
	"encoding/hex"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	fp "github.com/sluice-gw/sluice/e2e/fakeprovider"
	"github.com/sluice-gw/sluice/pkg/telemetry/telemetrytest"
)

// telemetryEnv runs Sluice exporting traces and metrics by OTLP to an
// in-process collector, with the reference policy in dry-run mode so every
// request gets a decision.
func telemetryEnv(t *testing.T) (*env, *telemetrytest.Collector) {
	t.Helper()
	col := telemetrytest.Start(t)
	e := newEnv(t, withConfig(configOptions{
		policy: policyAt(policyCopy(t, nil), map[string]any{"mode": "dry_run"}),
		sections: map[string]any{"telemetry": map[string]any{
			"service_name": "sluice-e2e",
			"otlp":         map[string]any{"endpoint": col.Addr, "insecure": true, "protocol": "grpc"},
			"traces":       map[string]any{"sampling_ratio": 0.0}, // only sampled parents are traced
			"metrics":      map[string]any{"otlp": true, "export_interval": "1s"},
		}},
	}))
	return e, col
}

func attrs(kvs []*commonpb.KeyValue) map[string]any {
	out := map[string]any{}
	for _, kv := range kvs {
		switch v := kv.GetValue().GetValue().(type) {
		case *commonpb.AnyValue_StringValue:
			out[kv.GetKey()] = v.StringValue
		case *commonpb.AnyValue_IntValue:
			out[kv.GetKey()] = v.IntValue
		case *commonpb.AnyValue_DoubleValue:
			out[kv.GetKey()] = v.DoubleValue
		case *commonpb.AnyValue_ArrayValue:
			var s []string
			for _, e := range v.ArrayValue.GetValues() {
				s = append(s, e.GetStringValue())
			}
			out[kv.GetKey()] = strings.Join(s, ",")
		}
	}
	return out
}

// TestTelemetryTraces sends a streamed and a buffered chat call, each with
// a sampled traceparent, and finds their server spans at the collector:
// the trace continues, the GenAI attributes carry the call, and the policy
// evaluation is a child span.
func TestTelemetryTraces(t *testing.T) {
	t.Parallel()
	e, col := telemetryEnv(t)
	tests := []struct {
		name, model, traceID, parentID string
		stream                         bool
		provider, respModel, respID    string
	}{
		{"buffered openai", "gpt-4o", "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", false, "openai", "gpt-4o", "chatcmpl-fake"},
		{"streamed anthropic", "claude", "5cf92f3577b34da6a3ce929d0e0e4737", "11f067aa0ba902b8", true, "anthropic", "", ""},
	}
	// Both calls first: spans are exported in batches.
	resps := make([]rawResponse, len(tests))
	for i, tt := range tests {
		resps[i] = e.post(t, "/v1/chat/completions", chatBody(t, tt.model, newMarker(), tt.stream),
			"traceparent", "00-"+tt.traceID+"-"+tt.parentID+"-01")
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := resps[i]
			if r.status != http.StatusOK {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
			srv := col.WaitSpan(10*time.Second, func(s *tracepb.Span) bool {
				return hex.EncodeToString(s.GetTraceId()) == tt.traceID && s.GetKind() == tracepb.Span_SPAN_KIND_SERVER
			})
			if srv == nil {
				t.Fatalf("no server span with trace id %s reached the collector", tt.traceID)
			}
			if got := hex.EncodeToString(srv.GetParentSpanId()); got != tt.parentID {
				t.Errorf("parent span id = %s, want the traceparent's %s", got, tt.parentID)
			}
			if want := "chat " + tt.model; srv.GetName() != want {
				t.Errorf("span name = %q, want %q", srv.GetName(), want)
			}
			a := attrs(srv.GetAttributes())
			want := map[string]any{
				"gen_ai.operation.name": "chat", "gen_ai.provider.name": tt.provider, "gen_ai.request.model": tt.model,
				"gen_ai.usage.input_tokens": int64(fp.InputTokens), "gen_ai.usage.output_tokens": int64(fp.OutputTokens),
				"gen_ai.response.finish_reasons": "stop", "http.response.status_code": int64(200),
				"sluice.tenant": "e2e", "sluice.backend": tt.provider,
				"sluice.decision_id": r.header.Get("x-sluice-decision-id"),
			}
			if tt.respModel != "" {
				want["gen_ai.response.model"], want["gen_ai.response.id"] = tt.respModel, tt.respID
			}
			for k, v := range want {
				if a[k] != v {
					t.Errorf("%s = %v, want %v", k, a[k], v)
				}
			}
			for _, k := range []string{"gen_ai.response.id", "gen_ai.response.model", "server.address", "sluice.request_id"} {
				if s, _ := a[k].(string); s == "" {
					t.Errorf("%s is missing", k)
				}
			}
			if _, ok := a["gen_ai.input.messages"]; ok {
				t.Error("the prompt is recorded with capture_content off")
			}
			pol := col.WaitSpan(5*time.Second, func(s *tracepb.Span) bool {
				return bytes.Equal(s.GetParentSpanId(), srv.GetSpanId()) && s.GetName() == "sluice.policy.evaluate"
			})
			if pol == nil {
				t.Fatal("no policy evaluation span under the server span")
			}
			pa := attrs(pol.GetAttributes())
			if pa["sluice.decision_id"] != want["sluice.decision_id"] || pa["sluice.policy.result"] == nil {
				t.Errorf("policy span attributes = %v", pa)
			}
		})
	}
}

// scrapeMetrics reads and parses the admin port's /metrics.
func scrapeMetrics(t *testing.T, s *sluiceProc) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get("http://" + s.adminAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %d %v", resp.StatusCode, err)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("parsing /metrics: %v\n%s", err, b)
	}
	return fams
}

// metricWith returns the first series of name carrying every label in want.
func metricWith(fams map[string]*dto.MetricFamily, name string, want map[string]string) *dto.Metric {
	for _, m := range fams[name].GetMetric() {
		got := map[string]string{}
		for _, l := range m.GetLabel() {
			got[l.GetName()] = l.GetValue()
		}
		match := true
		for k, v := range want {
			match = match && got[k] == v
		}
		if match {
			return m
		}
	}
	return nil
}

// TestTelemetryMetrics scrapes /metrics after chat calls and reloads: the
// GenAI histograms and Sluice's counters are there with their labels, and
// the same instruments reach the OTLP collector.
func TestTelemetryMetrics(t *testing.T) {
	t.Parallel()
	e, col := telemetryEnv(t)
	for _, stream := range []bool{false, true} {
		if r := e.post(t, "/v1/chat/completions", chatBody(t, "gpt-4o", newMarker(), stream)); r.status != http.StatusOK {
			t.Fatalf("status %d: %s", r.status, r.body)
		}
	}
	if r := e.post(t, "/v1/chat/completions", chatBody(t, "no-such-model", newMarker(), false)); r.status != http.StatusNotFound {
		t.Fatalf("unknown model: status %d, want 404", r.status)
	}
	// A rejected config reload, then an accepted one.
	path := e.sluice.cmd.Args[len(e.sluice.cmd.Args)-1]
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	writeAtomically(t, path, []byte("models: 5\n"))
	reloads := func(result string) float64 {
		m := metricWith(scrapeMetrics(t, e.sluice), "sluice_config_reloads_total", map[string]string{"kind": "config", "result": result})
		return m.GetCounter().GetValue()
	}
	waitFor(t, "the rejected reload to be counted", func() bool { return reloads("error") >= 1 })
	writeAtomically(t, path, append(good, "# touched\n"...))
	waitFor(t, "the accepted reload to be counted", func() bool { return reloads("ok") >= 1 })

	fams := scrapeMetrics(t, e.sluice)
	call := map[string]string{
		"gen_ai_operation_name": "chat", "gen_ai_provider_name": "openai", "gen_ai_request_model": "gpt-4o",
		"gen_ai_response_model": "gpt-4o", "sluice_tenant": "e2e",
	}
	with := func(k, v string) map[string]string {
		m := map[string]string{k: v}
		for k, v := range call {
			m[k] = v
		}
		return m
	}
	tests := []struct {
		name, family string
		labels       map[string]string
		check        func(*dto.Metric) bool
	}{
		{"input tokens", "gen_ai_client_token_usage", with("gen_ai_token_type", "input"),
			func(m *dto.Metric) bool { return m.GetHistogram().GetSampleSum() == 2*fp.InputTokens }},
		{"output tokens", "gen_ai_client_token_usage", with("gen_ai_token_type", "output"),
			func(m *dto.Metric) bool { return m.GetHistogram().GetSampleSum() == 2*fp.OutputTokens }},
		{"duration", "gen_ai_server_request_duration_seconds", call,
			func(m *dto.Metric) bool { return m.GetHistogram().GetSampleCount() == 2 }},
		{"time to first token", "gen_ai_server_time_to_first_token_seconds", call,
			func(m *dto.Metric) bool { return m.GetHistogram().GetSampleCount() >= 1 }},
		{"requests ok", "sluice_requests_total",
			map[string]string{"gen_ai_request_model": "gpt-4o", "http_response_status_code": "200", "sluice_tenant": "e2e"},
			func(m *dto.Metric) bool { return m.GetCounter().GetValue() == 2 }},
		{"unknown model collapses", "sluice_requests_total",
			map[string]string{"gen_ai_request_model": "other", "http_response_status_code": "404", "error_type": "model_not_found"},
			func(m *dto.Metric) bool { return m.GetCounter().GetValue() == 1 }},
		{"policy decisions", "sluice_policy_decisions_total", nil,
			func(m *dto.Metric) bool { return m.GetCounter().GetValue() >= 1 }},
		{"config reloads", "sluice_config_reloads_total", map[string]string{"kind": "config", "result": "ok"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := metricWith(fams, tt.family, tt.labels)
			if m == nil {
				t.Fatalf("no %s series with %v; have %v", tt.family, tt.labels, fams[tt.family].GetMetric())
			}
			if tt.check != nil && !tt.check(m) {
				t.Errorf("%s%v = %v", tt.family, tt.labels, m)
			}
		})
	}
	waitFor(t, "metrics to reach the OTLP collector", func() bool {
		for _, m := range col.Metrics() {
			if m.GetName() == "gen_ai.client.token.usage" {
				return true
			}
		}
		return false
	})
}
