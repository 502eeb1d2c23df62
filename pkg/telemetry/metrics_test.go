package telemetry_test

import (
	"testing"

	dto "github.com/prometheus/client_model/go"
)

// labels returns a metric's labels as a map.
func labels(m *dto.Metric) map[string]string {
	out := map[string]string{}
	for _, l := range m.GetLabel() {
		out[l.GetName()] = l.GetValue()
	}
	return out
}

// find returns the first metric of family name whose labels include want.
func find(fams map[string]*dto.MetricFamily, name string, want map[string]string) *dto.Metric {
	for _, m := range fams[name].GetMetric() {
		got := labels(m)
		ok := true
		for k, v := range want {
			if got[k] != v {
				ok = false
				break
			}
		}
		if ok {
			return m
		}
	}
	return nil
}

func TestPrometheusExposition(t *testing.T) {
	snap := loadConfig(t)
	tel := newTelemetry(t, snap, nil)
	recordEverything(t, tel, snap)
	fams := scrape(t, tel)

	genai := map[string]string{
		"gen_ai_operation_name": "chat", "gen_ai_provider_name": "openai", "gen_ai_request_model": "gpt-4o",
		"gen_ai_response_model": "gpt-4o-2024-08-06", "sluice_tenant": "acme",
	}
	with := func(extra map[string]string) map[string]string {
		out := map[string]string{}
		for k, v := range genai {
			out[k] = v
		}
		for k, v := range extra {
			out[k] = v
		}
		return out
	}
	tests := []struct {
		name   string
		family string
		labels map[string]string
		check  func(*dto.Metric) bool
	}{
		{"input tokens", "gen_ai_client_token_usage", with(map[string]string{"gen_ai_token_type": "input"}),
			func(m *dto.Metric) bool {
				return m.GetHistogram().GetSampleSum() == 24 && m.GetHistogram().GetSampleCount() == 2
			}},
		{"output tokens", "gen_ai_client_token_usage", with(map[string]string{"gen_ai_token_type": "output"}),
			func(m *dto.Metric) bool { return m.GetHistogram().GetSampleSum() == 10 }},
		{"duration", "gen_ai_server_request_duration_seconds", genai,
			func(m *dto.Metric) bool { return m.GetHistogram().GetSampleSum() >= 3 }},
		{"time to first token", "gen_ai_server_time_to_first_token_seconds", genai,
			func(m *dto.Metric) bool { return m.GetHistogram().GetSampleCount() == 2 }},
		{"time per output token", "gen_ai_server_time_per_output_token_seconds", genai,
			func(m *dto.Metric) bool { return m.GetHistogram().GetSampleCount() == 2 }},
		{"requests ok", "sluice_requests_total",
			map[string]string{"http_response_status_code": "200", "gen_ai_request_model": "gpt-4o", "sluice_tenant": "acme", "error_type": ""},
			func(m *dto.Metric) bool { return m.GetCounter().GetValue() == 2 }},
		{"requests rate limited", "sluice_requests_total",
			map[string]string{"http_response_status_code": "429", "error_type": "rate_limit_exceeded"},
			func(m *dto.Metric) bool { return m.GetCounter().GetValue() == 1 }},
		{"decisions allow", "sluice_policy_decisions_total", map[string]string{"result": "allow", "remembered": "false"}, nil},
		{"decisions remembered", "sluice_policy_decisions_total", map[string]string{"result": "allow", "remembered": "true"},
			func(m *dto.Metric) bool { return m.GetCounter().GetValue() == 1 }},
		{"decisions deny", "sluice_policy_decisions_total", map[string]string{"result": "deny"}, nil},
		{"decisions dry run", "sluice_policy_decisions_total", map[string]string{"result": "dry_run_deny"}, nil},
		{"decisions error", "sluice_policy_decisions_total", map[string]string{"result": "error"}, nil},
		{"policy errors", "sluice_policy_errors_total", map[string]string{"kind": "closed"}, nil},
		{"pii", "sluice_pii_findings_total", map[string]string{"type": "PHONE_NUMBER", "action": "mask"},
			func(m *dto.Metric) bool { return m.GetCounter().GetValue() == 6 }},
		{"guardrails", "sluice_guardrail_actions_total", map[string]string{"type": "banned_phrase", "action": "block"}, nil},
		{"cache hit", "sluice_cache_requests_total", map[string]string{"result": "hit"}, nil},
		{"cache miss", "sluice_cache_requests_total", map[string]string{"result": "miss"}, nil},
		{"cost", "sluice_cost_total", map[string]string{"sluice_tenant": "acme", "gen_ai_request_model": "gpt-4o"},
			func(m *dto.Metric) bool { v := m.GetCounter().GetValue(); return v > 0.00149 && v < 0.00151 }},
		{"saved cost", "sluice_cache_saved_cost_total", map[string]string{"sluice_tenant": "acme"}, nil},
		{"budget spent", "sluice_budget_spent_total", map[string]string{"sluice_tenant": "acme"}, nil},
		{"budget remaining", "sluice_budget_remaining_ratio", map[string]string{"sluice_tenant": "acme"},
			func(m *dto.Metric) bool { return m.GetGauge().GetValue() == 0.25 }},
		{"rate rejections", "sluice_limit_rejections_total", map[string]string{"kind": "rate"}, nil},
		{"budget rejections", "sluice_limit_rejections_total", map[string]string{"kind": "budget"}, nil},
		{"config reloads ok", "sluice_config_reloads_total", map[string]string{"kind": "config", "result": "ok"}, nil},
		{"config reloads error", "sluice_config_reloads_total", map[string]string{"kind": "config", "result": "error"}, nil},
		{"policy reloads", "sluice_config_reloads_total", map[string]string{"kind": "policy", "result": "ok"}, nil},
		{"audit dropped", "sluice_audit_dropped_total", nil,
			func(m *dto.Metric) bool { return m.GetCounter().GetValue() == 3 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := find(fams, tt.family, tt.labels)
			if m == nil {
				var have []map[string]string
				for _, m := range fams[tt.family].GetMetric() {
					have = append(have, labels(m))
				}
				t.Fatalf("no %s with labels %v; have %v", tt.family, tt.labels, have)
			}
			if tt.check != nil && !tt.check(m) {
				t.Errorf("%s%v = %v", tt.family, tt.labels, m)
			}
		})
	}
	for name := range fams {
		if _, ok := map[string]bool{"target_info": true}[name]; ok {
			continue
		}
		for _, m := range fams[name].GetMetric() {
			if l := labels(m); l["sluice_key"] != "" || l["sluice_user"] != "" {
				t.Errorf("%s carries key or user labels without label_keys/label_users: %v", name, l)
			}
		}
	}
}
