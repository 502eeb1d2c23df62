package telemetry

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sluice-gw/sluice/pkg/config"
)

func TestResolve(t *testing.T) {
	yes, no, half := true, false, 0.5
	base := func() *config.Telemetry {
		return &config.Telemetry{Prometheus: true, ExportInterval: time.Minute, OTLP: config.TelemetryOTLP{Timeout: time.Second}}
	}
	defaults := settings{protocol: "grpc", timeout: config.DefaultOTLPTimeout, ratio: 1, prometheus: true,
		exportInterval: config.DefaultMetricsExportInterval}
	tests := []struct {
		name string
		cfg  *config.Telemetry
		env  map[string]string
		want func(s *settings)
	}{
		{"no section, no env: off", nil, nil, func(*settings) {}},
		{"no section, endpoint in env: on with OTLP", nil,
			map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4317", "OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0.1"},
			func(s *settings) {
				s.enabled, s.traces, s.metricsOTLP, s.endpoint, s.ratio = true, true, true, "http://c:4317", 0.1
			}},
		{"section without endpoint: metrics only", base(), nil, func(s *settings) {
			s.enabled, s.timeout, s.exportInterval = true, time.Second, time.Minute
		}},
		{"config wins over env", func() *config.Telemetry {
			c := base()
			c.OTLP.Endpoint, c.OTLP.Protocol, c.SamplingRatio, c.MetricsOTLP = "collector:4317", "grpc", &half, true
			return c
		}(), map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://env:4318", "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf", "OTEL_TRACES_SAMPLER": "always_off"},
			func(s *settings) {
				s.enabled, s.traces, s.metricsOTLP, s.endpoint, s.ratio = true, true, true, "collector:4317", 0.5
				s.timeout, s.exportInterval = time.Second, time.Minute
			}},
		{"env fills what config leaves", base(), map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://env:4318", "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf", "OTEL_TRACES_SAMPLER": "always_off"},
			func(s *settings) {
				s.enabled, s.traces, s.endpoint, s.protocol, s.ratio = true, true, "http://env:4318", "http/protobuf", 0
				s.timeout, s.exportInterval = time.Second, time.Minute
			}},
		{"traces off in config", func() *config.Telemetry { c := base(); c.TracesEnabled = &no; return c }(),
			map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "c:4317"},
			func(s *settings) {
				s.enabled, s.endpoint, s.timeout, s.exportInterval = true, "c:4317", time.Second, time.Minute
			}},
		{"OTEL_SDK_DISABLED beats the config", func() *config.Telemetry { c := base(); c.Enabled = &yes; return c }(),
			map[string]string{"OTEL_SDK_DISABLED": "true", "OTEL_EXPORTER_OTLP_ENDPOINT": "c:4317"},
			func(s *settings) { s.endpoint, s.timeout, s.exportInterval = "c:4317", time.Second, time.Minute }},
		{"enabled false", func() *config.Telemetry { c := base(); c.Enabled = &no; return c }(), nil,
			func(s *settings) { s.timeout, s.exportInterval = time.Second, time.Minute }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := defaults
			tt.want(&want)
			got := resolve(tt.cfg, func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok })
			if diff := cmp.Diff(want, got, cmp.AllowUnexported(settings{})); diff != "" {
				t.Errorf("resolve (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEnvRatio(t *testing.T) {
	tests := []struct {
		sampler, arg string
		want         float64
	}{
		{"", "", 1}, {"always_on", "", 1}, {"always_off", "", 0}, {"parentbased_always_off", "", 0},
		{"traceidratio", "0.25", 0.25}, {"parentbased_traceidratio", "0.1", 0.1},
		{"traceidratio", "2", 1}, {"traceidratio", "x", 1}, {"jaeger_remote", "", 1},
	}
	for _, tt := range tests {
		if got := envRatio(tt.sampler, tt.arg); got != tt.want {
			t.Errorf("envRatio(%q, %q) = %v, want %v", tt.sampler, tt.arg, got, tt.want)
		}
	}
}

func TestLabelCacheIsBounded(t *testing.T) {
	c := newLabelCache(3)
	for i := range 10 {
		c.set(labelKey{op: "chat", model: "m", tenant: string(rune('a' + i)), status: 200})
	}
	if n := c.sets.len(); n != 3 {
		t.Errorf("cache holds %d sets, want its bound 3", n)
	}
	n := 0
	for k := range c.collapsed.m {
		n++
		if k.tenant != other {
			t.Errorf("collapsed key %+v keeps its tenant", k)
		}
	}
	if n != 1 {
		t.Errorf("%d collapsed sets, want 1", n)
	}
}
