package telemetry_test

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/sluice-gw/sluice/pkg/pipeline"
)

// BenchmarkExchange is what telemetry adds to one streamed chat call:
// Begin, two released chunks and the end, where metrics are recorded.
// Traces are sampled at 10%, from requests without a traceparent.
func BenchmarkExchange(b *testing.B) {
	snap := loadConfig(b)
	cfg := *snap.Telemetry
	ratio := 0.1
	cfg.SamplingRatio, cfg.CaptureContent = &ratio, false
	snap.Telemetry = &cfg
	tel := newTelemetry(b, snap, tracetest.NewNoopExporter())
	chunks := [][]byte{[]byte(streamChunks[0]), []byte(streamChunks[1])}
	xs := make([]*pipeline.Exchange, b.N)
	for i := range xs {
		xs[i] = chatExchange(snap)
		xs[i].Header = xs[i].Header[:1] // no traceparent: the ratio decides
	}
	b.ReportAllocs()
	b.ResetTimer()
	for _, x := range xs {
		ctx := tel.Begin(context.Background(), x)
		for _, c := range chunks {
			tel.Released(ctx, x, c)
		}
		x.End(ctx)
	}
}
