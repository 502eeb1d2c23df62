package telemetry_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/sluice-gw/sluice/pkg/config"
	"github.com/sluice-gw/sluice/pkg/identity"
	"github.com/sluice-gw/sluice/pkg/pipeline"
	"github.com/sluice-gw/sluice/pkg/policy"
	"github.com/sluice-gw/sluice/pkg/telemetry"
	"github.com/sluice-gw/sluice/pkg/translate"
)

const testConfig = `
tenants:
  - {name: acme}
backends:
  - {name: openai, provider: openai, host: api.openai.com, credential: {env: T_OPENAI_KEY}}
models:
  - {name: gpt-4o, backend: openai, upstream_model: gpt-4o-2024-08-06}
telemetry:
  capture_content: true
  metrics: {max_label_sets: 50}
`

func loadConfig(t testing.TB) *config.Snapshot {
	t.Helper()
	snap, err := config.Parse("test.yaml", []byte(testConfig), config.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

func newTelemetry(t testing.TB, snap *config.Snapshot, spans sdktrace.SpanExporter) *telemetry.Telemetry {
	t.Helper()
	tel, err := telemetry.New(context.Background(), snap.Telemetry, telemetry.Options{
		LookupEnv:    func(string) (string, bool) { return "", false },
		SpanExporter: spans,
		Mask:         maskDigits,
	})
	if err != nil {
		t.Fatal(err)
	}
	if tel == nil {
		t.Fatal("telemetry is off, want on")
	}
	t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	return tel
}

// maskDigits stands in for the PII scanner: every digit run is a finding.
func maskDigits(dst, text []byte) []byte {
	in := false
	for _, c := range text {
		if c >= '0' && c <= '9' {
			if !in {
				dst = append(dst, "<NUMBER>"...)
			}
			in = true
			continue
		}
		in = false
		dst = append(dst, c)
	}
	return dst
}

// chatExchange is a routed, streamed chat call with everything a stage can
// report set: usage, cost, findings, guardrails, cache, budget, decision.
func chatExchange(snap *config.Snapshot) *pipeline.Exchange {
	m, _ := snap.Model("gpt-4o")
	start := time.Now().Add(-1500 * time.Millisecond)
	x := &pipeline.Exchange{
		Start: start, Config: snap, RequestID: "req-1", Method: "POST", Path: "/v1/chat/completions",
		Header: pipeline.Headers{
			{Key: ":path", Value: "/v1/chat/completions"},
			{Key: "traceparent", Value: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"},
		},
		API: pipeline.APIChat, Model: "gpt-4o", Route: m, Target: m.Target(), Streaming: true,
		Request: translate.Request{Op: translate.Chat, Stream: true,
			Body: []byte(`{"model":"gpt-4o","stop":["END"],"messages":[{"role":"user","content":"call 5551234"}]}`)},
		Summary: pipeline.Summary{MaxTokens: 100, LastUserMessage: "call 5551234",
			Parameters: map[string]any{"temperature": 0.2, "top_p": 0.9, "seed": float64(7)}},
		Identity: &identity.Identity{Tenant: "acme", TenantConfig: snap.Tenants["acme"], User: "ann",
			Key: &identity.KeyInfo{ID: "k1"}},
		Decision: &policy.Decision{Allow: true, DecisionID: "dec-1"},
		Budget:   &pipeline.BudgetStanding{RemainingFraction: 0.25},
		Usage:    translate.Usage{InputTokens: 12, OutputTokens: 5},
		Protect: pipeline.Protect{
			Findings: []pipeline.FindingCount{{Type: "PHONE_NUMBER", Action: "mask", Count: 1}},
			Output:   []pipeline.FindingCount{{Type: "banned_phrase", Action: "block", Count: 2}},
		},
		Outcome: pipeline.Outcome{Status: 200, FirstByte: start.Add(300 * time.Millisecond),
			CostMicros: 1500, Priced: true, Cache: "miss"},
	}
	return x
}

var streamChunks = []string{
	"data: {\"id\":\"chatcmpl-1\",\"model\":\"gpt-4o-2024-08-06\",\"choices\":[{\"delta\":{\"content\":\"call me at \"},\"finish_reason\":null}]}\n\n",
	"data: {\"id\":\"chatcmpl-1\",\"model\":\"gpt-4o-2024-08-06\",\"choices\":[{\"delta\":{\"content\":\"555\"},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n",
}

// recordEverything runs one of each kind of exchange through tel, and a
// config and a policy reload, so every instrument has a value.
func recordEverything(t testing.TB, tel *telemetry.Telemetry, snap *config.Snapshot) {
	t.Helper()
	x := chatExchange(snap)
	ctx := tel.Begin(context.Background(), x)
	_, ps := telemetry.StartPolicy(ctx)
	ps.End(x.Decision, nil)
	for _, c := range streamChunks {
		tel.Released(ctx, x, []byte(c))
	}
	x.End(ctx)

	hit := chatExchange(snap)
	hit.Outcome.Cache = "hit"
	hit.Decision = &policy.Decision{Allow: true, DryRunDenied: true, DecisionID: "dec-2"}
	hit.End(tel.Begin(context.Background(), hit))

	for _, e := range []struct {
		code   string
		status int
		d      *policy.Decision
	}{
		{"rate_limit_exceeded", 429, &policy.Decision{Allow: true, Remembered: true}},
		{"budget_exceeded", 429, &policy.Decision{Allow: true}},
		{"policy_denied", 403, &policy.Decision{Status: 403}},
		{"policy_error", 503, nil},
	} {
		x := chatExchange(snap)
		x.Target, x.Usage, x.Outcome = translate.Target{}, translate.Usage{}, pipeline.Outcome{Status: e.status, Error: e.code}
		x.Decision = e.d
		x.End(tel.Begin(context.Background(), x))
	}
	tel.Reloaded("config", nil)
	tel.Reloaded("config", errors.New("bad"))
	tel.Reloaded("policy", nil)
	tel.AuditDropped(func() uint64 { return 3 })
}

// scrape reads tel's /metrics the way Prometheus does.
func scrape(t testing.TB, tel *telemetry.Telemetry) map[string]*dto.MetricFamily {
	t.Helper()
	rec := httptest.NewRecorder()
	tel.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(rec.Body)
	if err != nil {
		t.Fatalf("parsing /metrics: %v", err)
	}
	return fams
}
