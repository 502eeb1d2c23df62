package config

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestTelemetrySection(t *testing.T) {
	snap, err := Load("testdata/valid/telemetry.yaml", LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	yes, ratio := true, 0.1
	want := &Telemetry{
		Enabled: &yes, ServiceName: "sluice-prod",
		ResourceAttributes: map[string]string{"deployment.environment": "prod"},
		OTLP:               TelemetryOTLP{Endpoint: "https://collector.example:4318", Protocol: OTLPHTTP, Timeout: 5 * time.Second},
		TracesEnabled:      &yes, SamplingRatio: &ratio,
		Prometheus: true, MetricsOTLP: true, ExportInterval: 30 * time.Second, LabelKeys: true,
		MaxLabelSets: 500, CaptureContent: true, CaptureContentMaxBytes: 2048,
	}
	if diff := cmp.Diff(want, snap.Telemetry); diff != "" {
		t.Errorf("telemetry (-want +got):\n%s", diff)
	}
	bare, err := Load("testdata/valid/minimal.yaml", LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if bare.Telemetry != nil {
		t.Errorf("a config without a telemetry section has telemetry %+v", bare.Telemetry)
	}
}
