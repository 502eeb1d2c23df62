package charts

import (
	"encoding/json"
	"path"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/lint"
	"helm.sh/helm/v3/pkg/lint/support"
)

func TestLint(t *testing.T) {
	for _, file := range ciValues(t) {
		t.Run(caseName(file), func(t *testing.T) {
			kv := kubeVersion
			res := lint.AllWithKubeVersion(chartDir, readValues(t, file), namespace, &kv)
			for _, m := range res.Messages {
				if m.Severity >= support.WarningSev {
					t.Error(m)
				}
			}
		})
	}
}

// values.schema.json turns away values the chart cannot render correctly.
func TestSchemaRejects(t *testing.T) {
	tests := []struct {
		name   string
		values map[string]any
		want   string
	}{
		{"unknown top-level key", map[string]any{"replicas": 3}, "additional properties 'replicas' not allowed"},
		{"unknown mode", map[string]any{"mode": "sidecar"}, "mode"},
		{"fractional drain", map[string]any{"shutdownGrace": "1.5s"}, "shutdownGrace"},
		{"drain set in config", map[string]any{"config": map[string]any{"server": map[string]any{"shutdown_grace": "30s"}}}, "shutdown_grace"},
		{"redis without address", map[string]any{"redis": map[string]any{"enabled": true}}, "redis/address"},
		{"policies twice", map[string]any{"policies": map[string]any{"files": map[string]any{"a.rego": "package a"}, "existingConfigMap": "p"}}, "policies"},
		{"policy path escapes", map[string]any{"policies": map[string]any{"files": map[string]any{"../a.rego": "package a"}}}, "../a.rego"},
		{"secret without key", map[string]any{"providerSecrets": []any{map[string]any{"env": "OPENAI_API_KEY", "secretName": "s"}}}, "providerSecrets/0"},
		{"streamed request body", map[string]any{"extProc": map[string]any{"requestBodyMode": "STREAMED"}}, "extProc/requestBodyMode"},
		{"bad env name", map[string]any{"providerSecrets": []any{map[string]any{"env": "OPENAI-KEY", "secretName": "s", "key": "k"}}}, "providerSecrets/0/env"},
		{"one-backend chain", map[string]any{"envoy": map[string]any{"fallbackChains": []any{map[string]any{"name": "x", "backends": []any{"openai"}}}}}, "envoy/fallbackChains/0/backends"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := render(loadChart(t, true), tt.values)
			if err == nil {
				t.Fatal("rendered without error")
			}
			if !strings.Contains(err.Error(), "values don't meet the specifications of the schema") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want a schema error about %q", err, tt.want)
			}
		})
	}
}

// The dashboards and alert rules ConfigMaps pick up whatever files
// charts/sluice/dashboards holds.
func TestDashboardsAndRules(t *testing.T) {
	c := loadChart(t, false)
	values := map[string]any{"dashboards": map[string]any{"enabled": true}, "prometheusRule": map[string]any{"enabled": true}}
	out, err := render(c, values)
	if err != nil {
		t.Fatal(err)
	}
	o := decodeAll(t, manifests(out))
	var dashboards, rules int
	for _, f := range c.Files {
		switch dir, name := path.Split(f.Name); {
		case dir == "dashboards/" && path.Ext(name) == ".json":
			dashboards++
			cm := o.configMaps["sluice-dashboards"]
			if cm == nil || cm.Data[name] != string(f.Data) {
				t.Errorf("dashboard %s is not in the dashboards ConfigMap", name)
			} else if !json.Valid(f.Data) {
				t.Errorf("dashboard %s is not valid JSON", name)
			}
		case f.Name == "dashboards/sluice-alerts.yaml":
			rules++
			if len(o.prometheusRules) != 1 || len(o.prometheusRules[0].Spec.Groups) == 0 {
				t.Error("sluice-alerts.yaml did not become a PrometheusRule with groups")
			}
		}
	}
	if dashboards == 0 && o.configMaps["sluice-dashboards"] != nil {
		t.Error("a dashboards ConfigMap without dashboards")
	}
	if rules == 0 && len(o.prometheusRules) > 0 {
		t.Error("a PrometheusRule without sluice-alerts.yaml")
	}
	t.Logf("%d dashboards, %d rule files", dashboards, rules)
}
