package config

import (
	"net/url"
	"time"

	configv1 "github.com/sluice-gw/sluice/api/sluice/config/v1"
)

// The OTLP protocols Sluice exports with.
const (
	OTLPGRPC = "grpc"
	OTLPHTTP = "http/protobuf"
)

// Defaults of the telemetry settings.
const (
	DefaultCaptureContentMaxBytes = 4096
	DefaultMaxLabelSets           = 2000
	DefaultMetricsExportInterval  = 60 * time.Second
	DefaultOTLPTimeout            = 10 * time.Second
	maxCaptureContentBytes        = 1 << 20
	maxLabelSets                  = 100000
)

// Telemetry is the effective telemetry section. Fields the file left unset
// are zero or nil here; pkg/telemetry fills them from OTEL_* variables.
type Telemetry struct {
	// Enabled is nil when the file does not say.
	Enabled            *bool
	ServiceName        string
	ResourceAttributes map[string]string
	OTLP               TelemetryOTLP
	// TracesEnabled is nil when the file does not say.
	TracesEnabled *bool
	// SamplingRatio is nil when the file does not say.
	SamplingRatio          *float64
	Prometheus             bool
	MetricsOTLP            bool
	ExportInterval         time.Duration
	LabelKeys, LabelUsers  bool
	MaxLabelSets           int
	CaptureContent         bool
	CaptureContentMaxBytes int
}

// TelemetryOTLP is an OTLP destination; an empty Endpoint and Protocol
// defer to the environment.
type TelemetryOTLP struct {
	Endpoint string
	Protocol string
	Insecure bool
	Timeout  time.Duration
}

func validateTelemetry(t *configv1.Telemetry, p *problems) {
	if t == nil {
		return
	}
	switch pr := t.GetOtlp().GetProtocol(); pr {
	case "", OTLPGRPC, OTLPHTTP:
	default:
		p.add("telemetry.otlp.protocol", "unknown protocol %q (want %s or %s)", pr, OTLPGRPC, OTLPHTTP)
	}
	if e := t.GetOtlp().GetEndpoint(); e != "" && t.GetOtlp().GetProtocol() == OTLPHTTP {
		if u, err := url.Parse(e); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			p.add("telemetry.otlp.endpoint", `want an http or https URL such as "http://collector:4318" for %s`, OTLPHTTP)
		} else if u.User != nil {
			p.add("telemetry.otlp.endpoint", "must not carry credentials")
		}
	}
	checkPositive(t.GetOtlp().GetTimeout(), "telemetry.otlp.timeout", p)
	checkPositive(t.GetMetrics().GetExportInterval(), "telemetry.metrics.export_interval", p)
	if t.GetTraces() != nil && t.GetTraces().SamplingRatio != nil {
		if r := t.GetTraces().GetSamplingRatio(); !(r >= 0 && r <= 1) {
			p.add("telemetry.traces.sampling_ratio", "must be between 0 and 1, got %v", r)
		}
	}
	if v := t.CaptureContentMaxBytes; v != nil && (*v <= 0 || *v > maxCaptureContentBytes) {
		p.add("telemetry.capture_content_max_bytes", "must be between 1 and %d, got %d", maxCaptureContentBytes, *v)
	}
	if v := t.GetMetrics().GetMaxLabelSets(); t.GetMetrics() != nil && t.GetMetrics().MaxLabelSets != nil && (v <= 0 || v > maxLabelSets) {
		p.add("telemetry.metrics.max_label_sets", "must be between 1 and %d, got %d", maxLabelSets, v)
	}
	checkLabels(t.GetResourceAttributes(), "telemetry.resource_attributes", p)
}

func buildTelemetry(t *configv1.Telemetry) *Telemetry {
	if t == nil {
		return nil
	}
	out := &Telemetry{
		Enabled:            t.Enabled,
		ServiceName:        t.GetServiceName(),
		ResourceAttributes: t.GetResourceAttributes(),
		OTLP: TelemetryOTLP{
			Endpoint: t.GetOtlp().GetEndpoint(),
			Protocol: t.GetOtlp().GetProtocol(),
			Insecure: t.GetOtlp().GetInsecure(),
			Timeout:  DefaultOTLPTimeout,
		},
		Prometheus:             t.GetMetrics() == nil || t.GetMetrics().Prometheus == nil || t.GetMetrics().GetPrometheus(),
		MetricsOTLP:            t.GetMetrics().GetOtlp(),
		ExportInterval:         DefaultMetricsExportInterval,
		LabelKeys:              t.GetMetrics().GetLabelKeys(),
		LabelUsers:             t.GetMetrics().GetLabelUsers(),
		MaxLabelSets:           DefaultMaxLabelSets,
		CaptureContent:         t.GetCaptureContent(),
		CaptureContentMaxBytes: DefaultCaptureContentMaxBytes,
	}
	if tr := t.GetTraces(); tr != nil {
		out.TracesEnabled = tr.Enabled
		out.SamplingRatio = tr.SamplingRatio
	}
	if d := t.GetOtlp().GetTimeout(); d != nil {
		out.OTLP.Timeout = d.AsDuration()
	}
	if d := t.GetMetrics().GetExportInterval(); d != nil {
		out.ExportInterval = d.AsDuration()
	}
	if m := t.GetMetrics(); m != nil && m.MaxLabelSets != nil {
		out.MaxLabelSets = int(m.GetMaxLabelSets())
	}
	if v := t.CaptureContentMaxBytes; v != nil {
		out.CaptureContentMaxBytes = int(*v)
	}
	return out
}
