package e2e

import (
	"testing"
)

// tenancy is a gateway with the reference policy, two tenants with model
// allowlists, and every identity source turned on:
//
//	tenant  models
//	acme    gpt-4o, text-embedding-3-small
//	globex  claude (alias claude-sonnet)
//	e2e     every model (the client key's tenant)
type tenancy struct {
	acme    keyRecord // alice@acme.example, app ranker, role developer
	globex  keyRecord // bob@globex.example
	viewer  keyRecord // acme, role viewer: may only list models
	expired keyRecord // acme, expired in 2020
}

// The SPIFFE ids of the mTLS callers match this pattern, as Istio's do.
const spiffePattern = "spiffe://{trust_domain}/ns/{tenant}/sa/{app}"

var (
	acmeModels   = []string{"gpt-4o", "text-embedding-3-small"}
	globexModels = []string{"claude"}
)

func newTenancy(t *testing.T) (tenancy, configOptions) {
	t.Helper()
	k := tenancy{
		acme: newKey(t, keyRecord{Name: "ranker-prod", Tenant: "acme", App: "ranker",
			Owner: "alice@acme.example", Roles: []string{"developer"}}),
		globex:  newKey(t, keyRecord{Name: "globex", Tenant: "globex", Owner: "bob@globex.example"}),
		viewer:  newKey(t, keyRecord{Name: "dashboard", Tenant: "acme", Roles: []string{"viewer"}}),
		expired: newKey(t, keyRecord{Name: "old", Tenant: "acme", ExpiresAt: "2020-01-01T00:00:00Z"}),
	}
	c := configOptions{
		keys: []keyRecord{k.acme, k.globex, k.viewer, k.expired},
		identity: map[string]any{
			"jwt": map[string]any{
				"payload_key": jwtPayloadKey, "tenant_claim": "tenant", "user_claim": "email", "roles_claim": "roles",
			},
			"mtls":            map[string]any{"enabled": true, "spiffe_pattern": spiffePattern},
			"trusted_headers": map[string]any{"enabled": true},
		},
		tenants: []map[string]any{
			{"name": "acme", "models": acmeModels},
			{"name": "globex", "models": globexModels},
		},
		policy: policyAt(realPolicyDir(), nil),
	}
	return k, c
}

// newTenancyEnv starts a tenancy gateway with a decision log, and makes
// every fake refuse the tenancy's keys, so none reaches a provider.
func newTenancyEnv(t *testing.T) (*env, tenancy) {
	t.Helper()
	k, c := newTenancy(t)
	e := newEnv(t, withConfig(c), withDecisionLog())
	e.fakes.Forbid(k.acme.key, k.globex.key, k.viewer.key, k.expired.key)
	return e, k
}
