package extproc_test

import (
	"context"
	"io"
	"log/slog"
	"testing"

	extprocv3 "github.com/envoyproxy/go-control-plane/envoy/service/ext_proc/v3"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"google.golang.org/grpc"

	"github.com/sluice-gw/sluice/pkg/config"
	"github.com/sluice-gw/sluice/pkg/extproc"
	"github.com/sluice-gw/sluice/pkg/extproc/extproctest"
	"github.com/sluice-gw/sluice/pkg/identity"
	"github.com/sluice-gw/sluice/pkg/pipeline"
	"github.com/sluice-gw/sluice/pkg/telemetry"
	"github.com/sluice-gw/sluice/pkg/translate"
)

const benchConfig = cfgYAML + `
tenants: [{name: acme}]
telemetry:
  traces: {sampling_ratio: 0.1}
`

// BenchmarkChat runs one buffered chat call through a stream, with stages
// that set what the real ones would (model, route, identity, usage), with
// telemetry off and on (10% of traces sampled, Prometheus metrics).
func BenchmarkChat(b *testing.B) {
	snap, err := config.Parse("bench.yaml", []byte(benchConfig), config.LoadOptions{})
	if err != nil {
		b.Fatal(err)
	}
	m, _ := snap.Model("m")
	id := &identity.Identity{Tenant: "acme", TenantConfig: snap.Tenants["acme"]}
	st := &stages{
		headers: func(x *pipeline.Exchange) error { x.API = pipeline.APIChat; return nil },
		request: func(x *pipeline.Exchange) error {
			x.Model, x.Route, x.Target, x.Identity = "m", m, m.Target(), id
			x.Out.Set("x-sluice-backend", "local")
			return nil
		},
		respHdr: func(x *pipeline.Exchange) error {
			x.Usage = translate.Usage{InputTokens: 12, OutputTokens: 30}
			return nil
		},
	}
	body := []byte(`{"model":"m","messages":[{"role":"user","content":"hi"}]}`)
	reply := []byte(`{"id":"chatcmpl-1","model":"m","choices":[{"message":{"content":"hello"},"finish_reason":"stop"}],"usage":{"prompt_tokens":12,"completion_tokens":30}}`)
	for _, on := range []bool{false, true} {
		name := "telemetry=off"
		if on {
			name = "telemetry=on"
		}
		b.Run(name, func(b *testing.B) {
			p, err := pipeline.New(pipeline.Stages{Headers: []pipeline.HeaderStage{st},
				Request: []pipeline.RequestStage{st}, Response: []pipeline.ResponseStage{st}})
			if err != nil {
				b.Fatal(err)
			}
			srv := extproc.New(extproc.Pipelines{Main: p}, func() *config.Snapshot { return snap },
				slog.New(slog.NewTextHandler(io.Discard, nil)))
			if on {
				tel, err := telemetry.New(context.Background(), snap.Telemetry, telemetry.Options{
					LookupEnv:    func(string) (string, bool) { return "", false },
					SpanExporter: tracetest.NewNoopExporter(),
				})
				if err != nil {
					b.Fatal(err)
				}
				b.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
				srv.Observe(tel)
			}
			gs := grpc.NewServer(extproc.ServerOption())
			extprocv3.RegisterExternalProcessorServer(gs, srv)
			c := extproctest.Dial(b, gs)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				s := extproctest.Open(b, c)
				s.Send(extproctest.RequestHeaders("POST", "/v1/chat/completions", false, "x-request-id", "r"))
				s.Send(extproctest.RequestBody(body, true))
				s.Send(extproctest.ResponseHeaders(200, "application/json", false))
				s.Send(extproctest.ResponseBody(reply, true))
				_ = s.CloseSend()
			}
		})
	}
}
