package server_test

import (
	"os"
	"path/filepath"
	"testing"
)

// /metrics exists on the admin port only when telemetry is on.
func TestMetricsEndpoint(t *testing.T) {
	tests := []struct {
		name, section string
		want          int
	}{
		{"telemetry off", "", 404},
		{"telemetry on", "telemetry: {metrics: {prometheus: true}}\n", 200},
		{"prometheus off", "telemetry: {metrics: {prometheus: false}}\n", 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "")
			t.Setenv("OTEL_SDK_DISABLED", "")
			path := filepath.Join(t.TempDir(), "sluice.yaml")
			src := "server: {shutdown_grace: 1s}\nbackends: [{name: local, provider: openai_compatible}]\n" +
				"models: [{name: m, backend: local}]\n" + tt.section
			if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
				t.Fatal(err)
			}
			r := start(t, path)
			if got := httpStatus("http://" + r.admin + "/metrics"); got != tt.want {
				t.Errorf("GET /metrics = %d, want %d", got, tt.want)
			}
		})
	}
}
