// Package config loads Sluice's configuration: a YAML file decoded strictly
// against the protobuf schema in api/sluice/config/v1, so that every
// unknown key, wrong type or bad reference is reported with its exact path
// and line. Loading applies defaults, resolves backend credentials from the
// environment or files, and produces an immutable Snapshot. The snapshot
// also carries what identity and policy need: API key records (inline and
// from a keys file), tenants, the policy settings and fallback chains. Store and Watch
// swap snapshots atomically when the file changes, keeping the last good
// config when the new one is rejected.
//
// See README.md in this directory for the reference of every field.
package config

import (
	"time"

	configv1 "github.com/sluice-gw/sluice/api/sluice/config/v1"
	"github.com/sluice-gw/sluice/pkg/budget"
	"github.com/sluice-gw/sluice/pkg/pricing"
	"github.com/sluice-gw/sluice/pkg/translate"
)

// Snapshot is one loaded config. It is never modified after Load returns, so
// a request can hold on to the snapshot it started with while a reload
// swaps in another.
type Snapshot struct {
	// Proto is the decoded config with defaults filled in.
	Proto *configv1.Config
	// Version is the first 12 hex digits of the SHA-256 of the source bytes.
	Version  string
	Server   Server
	Backends map[string]*Backend
	// Models are in config order, as GET /v1/models lists them.
	Models []*Model
	// Identity is how callers are identified, with the API key records.
	Identity Identity
	// Tenants are the configured tenants by name; empty when none are.
	Tenants map[string]*Tenant
	// Policy is nil when the config has no policy section.
	Policy *Policy
	// DataProtection is nil when the config has no data_protection
	// section: no request text is inspected.
	DataProtection *DataProtection
	// Guardrails is nil when the config has no guardrails section: no
	// output checks run (pseudonyms are still restored).
	Guardrails *Guardrails
	// Telemetry is nil when the config has no telemetry section.
	Telemetry *Telemetry
	// Audit is nil when the config has no audit section.
	Audit *Audit
	// Templates is nil when the config has no templates section.
	Templates *Templates
	// Cache is nil when the config has no cache section: no responses
	// are stored.
	Cache *Cache
	// FallbackChains are the configured chains by name.
	FallbackChains map[string]*FallbackChain
	// Limits are the rate and concurrency rules; no rules, no limits.
	Limits Limits
	// State says where limit and budget counters live.
	State State
	// Budgets are the spending budgets, validated; empty when none are.
	Budgets []budget.Budget
	// BudgetWebhook is nil when crossings are only logged.
	BudgetWebhook *BudgetWebhook
	// Prices is the built-in price table with the config's prices laid
	// over it.
	Prices *pricing.Table
	// Warnings are problems that do not stop Sluice from serving, such as a
	// backend whose credential is missing or that no model uses. Each is
	// prefixed with the file, line and path like an error.
	Warnings []string

	byName map[string]*Model
}

// Server holds the effective server settings and limits.
type Server struct {
	GRPCAddress          string
	AdminAddress         string
	ShutdownGrace        time.Duration
	MaxRequestBodyBytes  int64
	MaxResponseBodyBytes int64
	// AdminTokenEnv names the variable holding the admin endpoints' bearer
	// token; AdminToken is its value once secrets are resolved. Empty: the
	// admin endpoints are off. The token is a secret: never log it.
	AdminTokenEnv string
	AdminToken    string
}

// Backend is one provider deployment.
type Backend struct {
	Name     string
	Provider translate.Provider
	// Target has everything but Model and Deployment, which come from the
	// model being served.
	Target translate.Target
	// Unavailable is set, wrapping ErrCredential, when the backend's
	// credential could not be read at load time. Sluice still starts (so a
	// developer can run the example config with only some keys set);
	// requests routed here should fail with 503 and this message.
	Unavailable error
	// Labels are free-form facts, such as region or tier, for policies.
	Labels map[string]string
}

// Model is a public model name and how to serve it.
type Model struct {
	Name          string
	Aliases       []string
	Backend       *Backend
	UpstreamModel string
	Deployment    string
	OwnedBy       string
	// Labels are free-form facts, such as tier, for policies.
	Labels map[string]string
}

// Model finds a model by its name or one of its aliases.
func (s *Snapshot) Model(name string) (*Model, bool) {
	m, ok := s.byName[name]
	return m, ok
}

// Target is the backend's target for this model.
func (m *Model) Target() translate.Target {
	t := m.Backend.Target
	t.Model = m.UpstreamModel
	t.Deployment = m.Deployment
	return t
}
