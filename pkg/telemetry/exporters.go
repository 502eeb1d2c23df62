package telemetry

import (
	"context"
	"strings"

	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetricgrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetrichttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/sluice-gw/sluice/pkg/config"
)

// The exporters read the remaining OTEL_EXPORTER_OTLP_* variables
// (headers, certificates, compression) themselves; the options here carry
// only what the config file or the merged settings decided.

func isURL(endpoint string) bool { return strings.Contains(endpoint, "://") }

func traceExporter(ctx context.Context, s settings) (sdktrace.SpanExporter, error) {
	if s.protocol == config.OTLPHTTP {
		opts := []otlptracehttp.Option{otlptracehttp.WithTimeout(s.timeout)}
		if isURL(s.endpoint) {
			opts = append(opts, otlptracehttp.WithEndpointURL(strings.TrimSuffix(s.endpoint, "/")+"/v1/traces"))
		} else {
			opts = append(opts, otlptracehttp.WithEndpoint(s.endpoint))
		}
		if s.insecure {
			opts = append(opts, otlptracehttp.WithInsecure())
		}
		return otlptracehttp.New(ctx, opts...)
	}
	opts := []otlptracegrpc.Option{otlptracegrpc.WithTimeout(s.timeout)}
	if isURL(s.endpoint) {
		opts = append(opts, otlptracegrpc.WithEndpointURL(s.endpoint))
	} else {
		opts = append(opts, otlptracegrpc.WithEndpoint(s.endpoint))
	}
	if s.insecure {
		opts = append(opts, otlptracegrpc.WithInsecure())
	}
	return otlptracegrpc.New(ctx, opts...)
}

func metricExporter(ctx context.Context, s settings) (sdkmetric.Exporter, error) {
	if s.protocol == config.OTLPHTTP {
		opts := []otlpmetrichttp.Option{otlpmetrichttp.WithTimeout(s.timeout)}
		if isURL(s.endpoint) {
			opts = append(opts, otlpmetrichttp.WithEndpointURL(strings.TrimSuffix(s.endpoint, "/")+"/v1/metrics"))
		} else {
			opts = append(opts, otlpmetrichttp.WithEndpoint(s.endpoint))
		}
		if s.insecure {
			opts = append(opts, otlpmetrichttp.WithInsecure())
		}
		return otlpmetrichttp.New(ctx, opts...)
	}
	opts := []otlpmetricgrpc.Option{otlpmetricgrpc.WithTimeout(s.timeout)}
	if isURL(s.endpoint) {
		opts = append(opts, otlpmetricgrpc.WithEndpointURL(s.endpoint))
	} else {
		opts = append(opts, otlpmetricgrpc.WithEndpoint(s.endpoint))
	}
	if s.insecure {
		opts = append(opts, otlpmetricgrpc.WithInsecure())
	}
	return otlpmetricgrpc.New(ctx, opts...)
}
