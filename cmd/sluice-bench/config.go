package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/sluice-gw/sluice/pkg/identity/apikey"
)

// benchSecrets are the provider keys the bench config reads. They are set
// to dummies unconditionally: nothing leaves the machine, and a real key in
// the caller's environment is never carried into a benchmark.
var benchSecrets = map[string]string{
	"OPENAI_API_KEY":    "sk-bench-openai-not-a-real-key",
	"ANTHROPIC_API_KEY": "sk-ant-bench-not-a-real-key",
}

func setBenchSecrets() error {
	for k, v := range benchSecrets {
		if err := os.Setenv(k, v); err != nil {
			return fmt.Errorf("setting %s: %w", k, err)
		}
	}
	return nil
}

// benchConfig is what every Sluice in a run serves: the built-in cases'
// models, and one API key, made fresh for the run, that every request
// presents, so authentication runs as it would in production.
type benchConfig struct {
	key       string
	keyID     string
	keyHash   string
	policyDir string // absolute, or "" for no policy
	// decisionDir, when set, turns the policy's decision log on, to a
	// file there.
	decisionDir string
	// decisionMemo is policy.decision_memo_size when 0 or more; -1, as
	// newBenchConfig makes it, leaves Sluice's default.
	decisionMemo int
	// limits turns on layered rate limits and a tenant budget, set high
	// enough never to refuse, so the run measures what checking them
	// costs.
	limits bool
	// otlp, when set, turns telemetry on: traces sampled at 10% exported
	// to this OTLP gRPC address, and Prometheus metrics recorded.
	otlp string
	// auditDir, when set, turns the audit log on: standard records written
	// to a file there, one file per Sluice started, so two never share a
	// hash chain.
	auditDir string
	// started counts the Sluices configured, so each logs to files of
	// its own: two never share an audit hash chain or a decision log.
	started int
}

func newBenchConfig(policyDir string) (*benchConfig, error) {
	key, id, err := apikey.Generate()
	if err != nil {
		return nil, fmt.Errorf("making the bench API key: %w", err)
	}
	h, err := apikey.Hash(key)
	if err != nil {
		return nil, fmt.Errorf("hashing the bench API key: %w", err)
	}
	bc := &benchConfig{key: key, keyID: id, keyHash: h, decisionMemo: -1}
	if policyDir != "" {
		if bc.policyDir, err = filepath.Abs(policyDir); err != nil {
			return nil, fmt.Errorf("-policy: %w", err)
		}
	}
	return bc, nil
}

// yaml renders the config with the ext_proc and admin servers on the
// given addresses.
func (bc *benchConfig) yaml(grpcAddr, adminAddr string) string {
	bc.started++
	src := fmt.Sprintf(`server: {grpc_address: %q, admin_address: %q}
backends:
  - {name: openai, provider: openai, host: api.openai.com, credential: {env: OPENAI_API_KEY}}
  - {name: anthropic, provider: anthropic, host: api.anthropic.com, credential: {env: ANTHROPIC_API_KEY}}
models:
  - {name: gpt-4o-mini, backend: openai}
  - {name: claude-haiku, backend: anthropic, upstream_model: claude-3-5-haiku-20241022}
identity:
  api_keys:
    - {id: %q, hash: %q, name: sluice-bench, tenant: bench, team: load, roles: [developer]}
tenants: [{name: bench, teams: [{name: load}]}]
`, grpcAddr, adminAddr, bc.keyID, bc.keyHash)
	if bc.limits {
		src += `limits:
  rules:
    - {name: per-key, scope: key, requests_per_minute: 1000000000, tokens_per_minute: 1000000000000, concurrent: 1000000}
    - {name: per-team, scope: team, tokens_per_minute: 1000000000000}
    - {name: per-tenant, scope: tenant, requests_per_minute: 1000000000, tokens_per_minute: 1000000000000}
budgets:
  - {name: bench-monthly, scope: tenant, id: bench, period: monthly, limit: "1000000"}
`
	}
	if bc.policyDir != "" {
		pol := fmt.Sprintf("dir: %q", bc.policyDir)
		if bc.decisionDir != "" {
			pol += fmt.Sprintf(", decision_log: {enabled: true, path: %q}",
				filepath.Join(bc.decisionDir, fmt.Sprintf("decisions-%d.jsonl", bc.started)))
		}
		if bc.decisionMemo >= 0 {
			pol += fmt.Sprintf(", decision_memo_size: %d", bc.decisionMemo)
		}
		src += "policy: {" + pol + "}\n"
	}
	if bc.otlp != "" {
		src += fmt.Sprintf(`telemetry:
  enabled: true
  service_name: sluice-bench
  otlp: {endpoint: %q, protocol: grpc, insecure: true}
  traces: {enabled: true, sampling_ratio: 0.1}
  metrics: {prometheus: true, otlp: false}
`, bc.otlp)
	}
	if bc.auditDir != "" {
		src += fmt.Sprintf("audit:\n  default_level: standard\n  file: {path: %q}\n",
			filepath.Join(bc.auditDir, fmt.Sprintf("audit-%d.jsonl", bc.started)))
	}
	return src
}
