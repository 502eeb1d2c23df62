// Package telemetry is Sluice's OpenTelemetry instrumentation: one server
// span per request following the GenAI semantic conventions, continuing
// the W3C trace context Envoy forwards, and the GenAI and Sluice metrics,
// recorded once when an exchange ends from what the stages left on it.
// Metrics are served as Prometheus text on the admin port and, when asked,
// pushed by OTLP. Off, it costs nothing: the ext_proc layer is never given
// an observer. See README.md and docs/observability.md.
package telemetry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel/attribute"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/sluice-gw/sluice/pkg/config"
	"github.com/sluice-gw/sluice/pkg/pii"
)

// ScopeName is the instrumentation scope of Sluice's spans and metrics.
const ScopeName = "github.com/sluice-gw/sluice"

// Telemetry owns the tracer and meter providers. A nil *Telemetry is off:
// every method is a no-op.
type Telemetry struct {
	log      *slog.Logger
	tp       *sdktrace.TracerProvider // nil when traces are off
	tracer   trace.Tracer
	mp       *sdkmetric.MeterProvider
	registry *prometheus.Registry // nil when /metrics is off
	prop     propagation.TextMapPropagator
	inst     *instruments
	labels   *labelCache
	mask     Masker
	audit    atomic.Pointer[func() uint64]
}

// Options are what New needs besides the config section.
type Options struct {
	// LookupEnv reads OTEL_* variables; nil means os.LookupEnv.
	LookupEnv func(string) (string, bool)
	Log       *slog.Logger
	// Resource, when set, replaces the detected resource (tests).
	Resource *resource.Resource
	// SpanExporter, when set, receives every span synchronously instead
	// of an OTLP exporter (tests, benchmarks).
	SpanExporter sdktrace.SpanExporter
	// Mask masks captured prompts and completions; nil means every
	// built-in PII and secret type of pkg/pii.
	Mask Masker
}

// New sets up the providers for cfg (nil when the config has no telemetry
// section) and the environment. It returns nil, and no error, when
// telemetry is off.
func New(ctx context.Context, cfg *config.Telemetry, o Options) (*Telemetry, error) {
	if o.LookupEnv == nil {
		o.LookupEnv = os.LookupEnv
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	s := resolve(cfg, o.LookupEnv)
	if !s.enabled {
		return nil, nil
	}
	res := o.Resource
	if res == nil {
		var err error
		if res, err = newResource(ctx, s); err != nil {
			return nil, err
		}
	}
	if o.Mask == nil {
		scanner, err := pii.New(pii.Config{})
		if err != nil {
			return nil, fmt.Errorf("telemetry: content masker: %w", err)
		}
		o.Mask = PIIMasker(scanner)
	}
	maxSets := config.DefaultMaxLabelSets
	if cfg != nil {
		maxSets = cfg.MaxLabelSets
	}
	t := &Telemetry{
		log:    o.Log,
		tracer: noop.NewTracerProvider().Tracer(ScopeName),
		prop:   propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}),
		labels: newLabelCache(maxSets),
		mask:   o.Mask,
	}
	if o.SpanExporter != nil {
		s.traces = true
	}
	if err := t.setup(ctx, s, res, o.SpanExporter); err != nil {
		_ = t.Shutdown(ctx)
		return nil, err
	}
	o.Log.Info("telemetry on", "traces", s.traces, "sampling_ratio", s.ratio, "otlp_endpoint", s.endpoint,
		"otlp_protocol", s.protocol, "metrics_otlp", s.metricsOTLP, "prometheus", s.prometheus)
	return t, nil
}

func (t *Telemetry) setup(ctx context.Context, s settings, res *resource.Resource, spans sdktrace.SpanExporter) error {
	if s.traces {
		process := sdktrace.WithSyncer(spans)
		if spans == nil {
			exp, err := traceExporter(ctx, s)
			if err != nil {
				return fmt.Errorf("telemetry: trace exporter: %w", err)
			}
			process = sdktrace.WithBatcher(exp)
		}
		t.tp = sdktrace.NewTracerProvider(
			sdktrace.WithResource(res),
			sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(s.ratio))),
			process,
		)
		t.tracer = t.tp.Tracer(ScopeName)
	}
	opts := []sdkmetric.Option{sdkmetric.WithResource(res)}
	if s.prometheus {
		t.registry = prometheus.NewRegistry()
		exp, err := otelprom.New(otelprom.WithRegisterer(t.registry), otelprom.WithoutScopeInfo())
		if err != nil {
			return fmt.Errorf("telemetry: prometheus exporter: %w", err)
		}
		opts = append(opts, sdkmetric.WithReader(exp))
	}
	if s.metricsOTLP {
		exp, err := metricExporter(ctx, s)
		if err != nil {
			return fmt.Errorf("telemetry: metric exporter: %w", err)
		}
		opts = append(opts, sdkmetric.WithReader(sdkmetric.NewPeriodicReader(exp, sdkmetric.WithInterval(s.exportInterval))))
	}
	t.mp = sdkmetric.NewMeterProvider(opts...)
	inst, err := newInstruments(t.mp.Meter(ScopeName), t.auditDropped)
	if err != nil {
		return fmt.Errorf("telemetry: instruments: %w", err)
	}
	t.inst = inst
	return nil
}

func newResource(ctx context.Context, s settings) (*resource.Resource, error) {
	attrs := make([]attribute.KeyValue, 0, len(s.resource)+1)
	if s.serviceName != "" {
		attrs = append(attrs, semconv.ServiceName(s.serviceName))
	}
	for k, v := range s.resource {
		attrs = append(attrs, attribute.String(k, v))
	}
	// Later options win: the default name, then OTEL_SERVICE_NAME and
	// OTEL_RESOURCE_ATTRIBUTES, then the config file.
	res, err := resource.New(ctx,
		resource.WithAttributes(semconv.ServiceName("sluice")),
		resource.WithTelemetrySDK(),
		resource.WithFromEnv(),
		resource.WithAttributes(attrs...),
	)
	if err != nil && !errors.Is(err, resource.ErrPartialResource) {
		return nil, fmt.Errorf("telemetry: resource: %w", err)
	}
	return res, nil
}

// Handler serves the Prometheus text exposition; nil when /metrics is off.
func (t *Telemetry) Handler() http.Handler {
	if t == nil || t.registry == nil {
		return nil
	}
	return promhttp.HandlerFor(t.registry, promhttp.HandlerOpts{})
}

// AuditDropped registers the function the sluice.audit.dropped counter
// reads at each collection: the total number of audit records the audit
// log has dropped since start. The audit log calls it once it is built.
func (t *Telemetry) AuditDropped(fn func() uint64) {
	if t == nil || fn == nil {
		return
	}
	t.audit.Store(&fn)
}

func (t *Telemetry) auditDropped() (uint64, bool) {
	if fn := t.audit.Load(); fn != nil {
		return (*fn)(), true
	}
	return 0, false
}

// Shutdown flushes spans and metrics still queued, within ctx.
func (t *Telemetry) Shutdown(ctx context.Context) error {
	if t == nil {
		return nil
	}
	var errs []error
	if t.tp != nil {
		errs = append(errs, t.tp.Shutdown(ctx))
	}
	if t.mp != nil {
		errs = append(errs, t.mp.Shutdown(ctx))
	}
	return errors.Join(errs...)
}

// Reloaded counts one reload of kind ("config" or "policy"), failed when
// err is not nil.
func (t *Telemetry) Reloaded(kind string, err error) {
	if t == nil {
		return
	}
	result := "ok"
	if err != nil {
		result = "error"
	}
	t.inst.reloads.Add(context.Background(), 1, t.labels.pair(attrKind, kind, attrResult, result).add...)
}
