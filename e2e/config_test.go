package e2e

import (
	"maps"
	"os"
	"path/filepath"
	"testing"

	"sigs.k8s.io/yaml"

	fp "github.com/sluice-gw/sluice/e2e/fakeprovider"
)

// provider is one fake provider as the suite reaches it: the backend it is
// configured as, and the public chat model that routes to it.
type provider struct {
	backend  string
	model    string // public chat model name
	upstream string // what the provider is asked for
	// deployment is the Azure deployment the model maps to.
	deployment string
	// reasoning is true when the provider reports reasoning tokens.
	reasoning bool
}

// providers are every provider family, in a fixed order.
var providers = []provider{
	{backend: fp.BackendOpenAI, model: "gpt-4o", upstream: "gpt-4o", reasoning: true},
	{backend: fp.BackendAzure, model: "azure-gpt", upstream: "gpt-4o", deployment: "gpt-4o-prod", reasoning: true},
	{backend: fp.BackendAnthropic, model: "claude", upstream: "claude-sonnet-4-5-20250929"},
	{backend: fp.BackendGemini, model: "gemini", upstream: "gemini-2.5-flash", reasoning: true},
	{backend: fp.BackendBedrock, model: "bedrock-claude", upstream: "anthropic.claude-3-5-haiku-20241022-v1:0"},
}

// claudeAlias is an alias of the anthropic model; GET /v1/models lists it.
const claudeAlias = "claude-sonnet"

// faultKinds are the faults every provider gets a model for.
var faultKinds = []fp.FaultKind{fp.RateLimited, fp.ServerError, fp.Unavailable, fp.Malformed, fp.Cut, fp.StreamError}

// faultModel is the public name of p's model whose upstream name selects
// kind in the fake.
func (p provider) faultModel(kind fp.FaultKind) string {
	return p.backend + "-fault-" + string(kind)
}

// faultUpstream is the upstream model (or Azure deployment) selecting kind.
func (p provider) faultUpstream(kind fp.FaultKind) string {
	switch p.backend {
	case fp.BackendAnthropic:
		return "claude-fault-" + string(kind)
	case fp.BackendGemini:
		return "gemini-fault-" + string(kind)
	case fp.BackendBedrock:
		return "anthropic.claude-fault-" + string(kind) + "-v1:0"
	}
	return "gpt-4o-fault-" + string(kind)
}

// embedder is an embeddings model and the provider serving it.
type embedder struct {
	backend, model, upstream, deployment string
	// reportsUsage is false for providers whose embeddings API reports no
	// token counts.
	reportsUsage bool
}

var embedders = []embedder{
	{backend: fp.BackendOpenAI, model: "text-embedding-3-small", upstream: "text-embedding-3-small", reportsUsage: true},
	{backend: fp.BackendAzure, model: "azure-embed", upstream: "text-embedding-3-small", deployment: "embed-prod", reportsUsage: true},
	{backend: fp.BackendGemini, model: "gemini-embed", upstream: "gemini-embedding-001"},
}

// configOptions vary the Sluice config between environments. The client
// key, its tenant e2e and the catalogue above are always there; the rest
// is added per environment.
type configOptions struct {
	// maxRequestBody is limits.max_request_body_bytes; empty keeps the
	// default.
	maxRequestBody string
	// keys are key records beyond the client key's.
	keys []keyRecord
	// identity is merged into the identity section: jwt, mtls,
	// trusted_headers, allow_anonymous.
	identity map[string]any
	// tenants are tenants beyond e2e.
	tenants []map[string]any
	// policy is the policy section; nil configures no policy. The harness
	// adds decision_log when decisionLog is set.
	policy map[string]any
	// decisionLog is the decision log file; empty keeps the log off.
	decisionLog string
	// fallbackChains is the fallback_chains section.
	fallbackChains []map[string]any
	// backendLabels are the labels of each backend, by name.
	backendLabels map[string]map[string]string
	// models are models beyond the catalogue.
	models []modelEntry
	// mock adds the mock backend, whose Envoy cluster the harness points at
	// the OpenAI fake, and its model mockModel.
	mock bool
	// limitRules is limits.rules; defaultOutputTokens, when positive, is
	// limits.default_output_tokens.
	limitRules          []map[string]any
	defaultOutputTokens int
	// sections are further top-level sections (state, budgets,
	// budget_webhook, prices), added as given.
	sections map[string]any
}

type modelEntry struct {
	Name          string            `json:"name"`
	Aliases       []string          `json:"aliases,omitempty"`
	Backend       string            `json:"backend"`
	UpstreamModel string            `json:"upstream_model,omitempty"`
	Deployment    string            `json:"deployment,omitempty"`
	Labels        map[string]string `json:"labels,omitempty"`
}

// mockModel is the model of the mock backend, served by the OpenAI fake.
const mockModel = "mock-gpt"

// publicModels lists every public model name and alias in config order, as
// GET /v1/models must list them.
func publicModels() []string {
	var names []string
	for _, m := range modelEntries() {
		names = append(names, m.Name)
		names = append(names, m.Aliases...)
	}
	return names
}

func modelEntries() []modelEntry {
	var ms []modelEntry
	for _, p := range providers {
		m := modelEntry{Name: p.model, Backend: p.backend, UpstreamModel: p.upstream, Deployment: p.deployment}
		if p.backend == fp.BackendAnthropic {
			m.Aliases = []string{claudeAlias}
		}
		ms = append(ms, m)
	}
	for _, e := range embedders {
		ms = append(ms, modelEntry{Name: e.model, Backend: e.backend, UpstreamModel: e.upstream, Deployment: e.deployment})
	}
	for _, p := range providers {
		for _, k := range faultKinds {
			m := modelEntry{Name: p.faultModel(k), Backend: p.backend, UpstreamModel: p.faultUpstream(k)}
			if p.backend == fp.BackendAzure {
				m.UpstreamModel, m.Deployment = "gpt-4o", p.faultUpstream(k)
			}
			ms = append(ms, m)
		}
	}
	return ms
}

// sluiceConfig renders a config with one backend per fake. Credentials are
// env references; the fakes' Env() supplies the values.
// The admin token every e2e Sluice is started with.
const (
	adminTokenEnv = "SLUICE_ADMIN_TOKEN"
	adminToken    = "e2e-admin-token"
)

func sluiceConfig(grpcAddr, adminAddr string, o configOptions) map[string]any {
	limits := map[string]any{}
	if o.maxRequestBody != "" {
		limits["max_request_body_bytes"] = o.maxRequestBody
	}
	if len(o.limitRules) > 0 {
		limits["rules"] = o.limitRules
	}
	if o.defaultOutputTokens > 0 {
		limits["default_output_tokens"] = o.defaultOutputTokens
	}
	cfg := map[string]any{
		"server": map[string]any{
			"grpc_address":   grpcAddr,
			"admin_address":  adminAddr,
			"shutdown_grace": "2s",
			// GET /admin/usage is on, so usage records are kept.
			"admin_token_env": adminTokenEnv,
		},
		"limits":   limits,
		"identity": identitySection(o),
		"tenants":  append([]map[string]any{{"name": "e2e"}}, o.tenants...),
		"backends": backendsSection(o),
		"models":   modelsSection(o),
	}
	if len(o.fallbackChains) > 0 {
		cfg["fallback_chains"] = o.fallbackChains
	}
	maps.Copy(cfg, o.sections)
	if o.policy != nil {
		p := maps.Clone(o.policy)
		if o.decisionLog != "" {
			p["decision_log"] = map[string]any{"enabled": true, "path": o.decisionLog}
		}
		cfg["policy"] = p
	}
	return cfg
}

func identitySection(o configOptions) map[string]any {
	keys := []map[string]any{clientKeyRecord().yaml()}
	for _, k := range o.keys {
		keys = append(keys, k.yaml())
	}
	id := maps.Clone(o.identity)
	if id == nil {
		id = map[string]any{}
	}
	id["api_keys"] = keys
	return id
}

func backendsSection(o configOptions) []map[string]any {
	bs := []map[string]any{
		{"name": fp.BackendOpenAI, "provider": "openai", "credential": map[string]any{"env": "OPENAI_API_KEY"}},
		{"name": fp.BackendAzure, "provider": "azure_openai", "host": "YOUR-RESOURCE.openai.azure.com",
			"api_version": azureAPIVersion, "credential": map[string]any{"env": "AZURE_OPENAI_API_KEY"}},
		{"name": fp.BackendAnthropic, "provider": "anthropic", "credential": map[string]any{"env": "ANTHROPIC_API_KEY"}},
		{"name": fp.BackendGemini, "provider": "gemini", "credential": map[string]any{"env": "GEMINI_API_KEY"}},
		{"name": fp.BackendBedrock, "provider": "bedrock", "region": fp.AWSRegion,
			"host": "bedrock-runtime." + fp.AWSRegion + ".amazonaws.com",
			"credential": map[string]any{"aws": map[string]any{
				"access_key_id_env":     "AWS_ACCESS_KEY_ID",
				"secret_access_key_env": "AWS_SECRET_ACCESS_KEY",
			}}},
	}
	if o.mock {
		// The OpenAI fake stands in for the mock model server, so it gets
		// the OpenAI key it insists on.
		bs = append(bs, map[string]any{"name": mockBackend, "provider": "openai_compatible",
			"credential": map[string]any{"env": "OPENAI_API_KEY"}})
	}
	for _, b := range bs {
		if labels := o.backendLabels[b["name"].(string)]; labels != nil {
			b["labels"] = labels
		}
	}
	return bs
}

func modelsSection(o configOptions) []modelEntry {
	ms := append(modelEntries(), o.models...)
	if o.mock {
		ms = append(ms, modelEntry{Name: mockModel, Backend: mockBackend})
	}
	return ms
}

// mockBackend is the backend (and Envoy cluster) of the mock model.
const mockBackend = "mock"

// azureAPIVersion is the api-version the Azure backend is configured with.
const azureAPIVersion = "2024-10-21"

func writeConfig(t *testing.T, cfg map[string]any) string {
	t.Helper()
	data, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatalf("rendering sluice config: %v", err)
	}
	path := filepath.Join(t.TempDir(), "sluice.yaml")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatalf("writing sluice config: %v", err)
	}
	return path
}
