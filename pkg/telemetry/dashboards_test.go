package telemetry_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/prometheus/promql/parser"
	"go.yaml.in/yaml/v3"
)

const dashboards = "../../charts/sluice/dashboards"

// grafanaVar is a dashboard variable: $tenant, ${model}, $__rate_interval.
var grafanaVar = regexp.MustCompile(`\$\{?([A-Za-z_][A-Za-z0-9_]*)(?::[a-z]+)?\}?`)

// labelValues is a template variable's query: label_values(metric, label).
var labelValues = regexp.MustCompile(`label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*,\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)`)

// exported is every series name and its label names on /metrics after one
// of everything was recorded: histograms as _bucket, _sum and _count.
func exported(t *testing.T) map[string]map[string]bool {
	t.Helper()
	snap := loadConfig(t)
	tel := newTelemetry(t, snap, nil)
	recordEverything(t, tel, snap)
	out := map[string]map[string]bool{}
	add := func(name string, m *dto.Metric, extra ...string) {
		if out[name] == nil {
			out[name] = map[string]bool{}
		}
		for _, l := range m.GetLabel() {
			out[name][l.GetName()] = true
		}
		for _, l := range extra {
			out[name][l] = true
		}
	}
	for name, f := range scrape(t, tel) {
		for _, m := range f.GetMetric() {
			if f.GetType() == dto.MetricType_HISTOGRAM {
				add(name+"_bucket", m, "le")
				add(name+"_sum", m)
				add(name+"_count", m)
				continue
			}
			add(name, m)
		}
	}
	return out
}

// exprs walks a dashboard's JSON for every targets[].expr, in panels at
// any depth (rows nest panels), and every template variable query.
func exprs(v any, out *[]string) {
	switch v := v.(type) {
	case map[string]any:
		if e, ok := v["expr"].(string); ok {
			*out = append(*out, e)
		}
		if q, ok := v["definition"].(string); ok {
			*out = append(*out, q)
		}
		for _, c := range v {
			exprs(c, out)
		}
	case []any:
		for _, c := range v {
			exprs(c, out)
		}
	}
}

func dashboardExprs(t *testing.T) map[string][]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dashboards, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no dashboards in %s: %v", dashboards, err)
	}
	out := map[string][]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var d map[string]any
		if err := json.Unmarshal(b, &d); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if ds, _ := d["panels"].([]any); len(ds) == 0 {
			t.Errorf("%s has no panels", f)
		}
		var es []string
		exprs(d, &es)
		out[filepath.Base(f)] = es
	}
	return out
}

func alertExprs(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dashboards, "sluice-alerts.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var rules struct {
		Groups []struct {
			Name  string `yaml:"name"`
			Rules []struct {
				Alert string `yaml:"alert"`
				Expr  string `yaml:"expr"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	if err := yaml.Unmarshal(b, &rules); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" || r.Expr == "" {
				t.Errorf("group %s has a rule without alert or expr", g.Name)
			}
			out = append(out, r.Expr)
		}
	}
	if len(out) == 0 {
		t.Fatal("no alert rules")
	}
	return out
}

// TestDashboardsUseExportedMetrics parses every PromQL expression of the
// dashboards and alert rules and checks each metric and label it selects
// is one Sluice exports.
func TestDashboardsUseExportedMetrics(t *testing.T) {
	have := exported(t)
	all := dashboardExprs(t)
	all["sluice-alerts.yaml"] = alertExprs(t)
	p := parser.NewParser(parser.Options{})
	for file, es := range all {
		for _, e := range es {
			if m := labelValues.FindStringSubmatch(e); m != nil {
				if !have[m[1]][m[2]] {
					t.Errorf("%s: variable query %q: %s has no label %s", file, e, m[1], m[2])
				}
				continue
			}
			q := grafanaVar.ReplaceAllStringFunc(e, func(v string) string {
				if grafanaVar.FindStringSubmatch(v)[1][:2] == "__" {
					return "5m" // $__rate_interval, $__range, $__interval
				}
				return ".*"
			})
			expr, err := p.ParseExpr(q)
			if err != nil {
				t.Errorf("%s: %q does not parse: %v", file, e, err)
				continue
			}
			for _, sel := range parser.ExtractSelectors(expr) {
				var name string
				for _, m := range sel {
					if m.Name == "__name__" {
						name = m.Value
					}
				}
				labels, ok := have[name]
				if !ok {
					t.Errorf("%s: %q selects %s, which Sluice does not export", file, e, name)
					continue
				}
				for _, m := range sel {
					if m.Name != "__name__" && !labels[m.Name] {
						t.Errorf("%s: %q matches label %s, which %s does not carry", file, e, m.Name, name)
					}
				}
			}
		}
	}
}
