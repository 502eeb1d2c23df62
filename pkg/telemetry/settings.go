package telemetry

import (
	"strconv"
	"strings"
	"time"

	"github.com/sluice-gw/sluice/pkg/config"
)

// settings are the config file's telemetry section with what it leaves
// unset read from the standard OTEL_* variables: the file wins, the
// environment is the default.
type settings struct {
	enabled        bool
	serviceName    string
	resource       map[string]string
	endpoint       string
	protocol       string
	insecure       bool
	timeout        time.Duration
	traces         bool
	ratio          float64
	prometheus     bool
	metricsOTLP    bool
	exportInterval time.Duration
}

// resolve merges cfg (nil when the file has no telemetry section) with the
// environment. Without a section, telemetry is on only when
// OTEL_EXPORTER_OTLP_ENDPOINT names a collector.
func resolve(cfg *config.Telemetry, env func(string) (string, bool)) settings {
	get := func(k string) string { v, _ := env(k); return strings.TrimSpace(v) }
	s := settings{
		endpoint: firstOf(get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"), get("OTEL_EXPORTER_OTLP_ENDPOINT")),
		protocol: firstOf(get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"), get("OTEL_EXPORTER_OTLP_PROTOCOL"), config.OTLPGRPC),
		timeout:  config.DefaultOTLPTimeout,
		ratio:    envRatio(get("OTEL_TRACES_SAMPLER"), get("OTEL_TRACES_SAMPLER_ARG")),
		// Prometheus is the pull side: on whenever telemetry is.
		prometheus:     true,
		exportInterval: config.DefaultMetricsExportInterval,
	}
	if cfg == nil {
		s.enabled = s.endpoint != ""
		s.metricsOTLP = s.enabled
	} else {
		s.enabled = cfg.Enabled == nil || *cfg.Enabled
		s.serviceName = cfg.ServiceName
		s.resource = cfg.ResourceAttributes
		s.endpoint = firstOf(cfg.OTLP.Endpoint, s.endpoint)
		s.protocol = firstOf(cfg.OTLP.Protocol, s.protocol)
		s.insecure = cfg.OTLP.Insecure
		s.timeout = cfg.OTLP.Timeout
		if cfg.SamplingRatio != nil {
			s.ratio = *cfg.SamplingRatio
		}
		s.prometheus = cfg.Prometheus
		s.metricsOTLP = cfg.MetricsOTLP
		s.exportInterval = cfg.ExportInterval
	}
	if b, err := strconv.ParseBool(get("OTEL_SDK_DISABLED")); err == nil && b {
		s.enabled = false
	}
	s.traces = s.enabled && s.endpoint != "" && (cfg == nil || cfg.TracesEnabled == nil || *cfg.TracesEnabled)
	if s.traces && get("OTEL_TRACES_EXPORTER") == "none" && (cfg == nil || cfg.TracesEnabled == nil) {
		s.traces = false
	}
	s.metricsOTLP = s.metricsOTLP && s.enabled && s.endpoint != ""
	return s
}

// envRatio reads the sampler variables. Sluice always samples parent-based,
// so the parentbased_ and plain forms mean the same ratio.
func envRatio(sampler, arg string) float64 {
	switch strings.TrimPrefix(sampler, "parentbased_") {
	case "always_off":
		return 0
	case "traceidratio":
		r, err := strconv.ParseFloat(arg, 64)
		if err != nil || r < 0 || r > 1 {
			return 1
		}
		return r
	}
	return 1
}

func firstOf(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}
