package e2e

import (
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	fp "github.com/sluice-gw/sluice/e2e/fakeprovider"
)

// Data residency with the reference policy as shipped: data.json enforces
// region eu and names azure-gpt-4o as the EU stand-in for gpt-4o. A
// tenant in region eu is served only by backends labelled region: eu
// (here Azure): gpt-4o is routed to the stand-in, a model with no EU
// stand-in is refused. Other tenants are unaffected.
func TestResidency(t *testing.T) {
	t.Parallel()
	eu := newKey(t, keyRecord{Name: "eu", Tenant: "eu-corp"})
	us := map[string]string{"region": "us"}
	e := newEnv(t, withConfig(configOptions{
		keys:    []keyRecord{eu},
		tenants: []map[string]any{{"name": "eu-corp", "region": "eu"}},
		backendLabels: map[string]map[string]string{
			fp.BackendAzure: {"region": "eu"}, fp.BackendOpenAI: us, fp.BackendAnthropic: us,
			fp.BackendGemini: us, fp.BackendBedrock: {"region": "us-east-1"},
		},
		models: []modelEntry{{Name: "azure-gpt-4o", Backend: fp.BackendAzure, UpstreamModel: "gpt-4o", Deployment: "gpt-4o-eu"}},
		policy: policyAt(realPolicyDir(), nil),
	}))
	e.fakes.Forbid(eu.key)
	cases := []struct {
		name    string
		key     keyRecord
		model   string
		stream  bool
		backend string // the backend that must serve; "" for a deny
		reason  string
	}{
		{name: "eu tenant, gpt-4o goes to its EU stand-in", key: eu, model: "gpt-4o", backend: fp.BackendAzure},
		{name: "eu tenant, gpt-4o streamed", key: eu, model: "gpt-4o", stream: true, backend: fp.BackendAzure},
		{name: "eu tenant, an EU model", key: eu, model: "azure-gpt", backend: fp.BackendAzure},
		{name: "eu tenant, no EU stand-in", key: eu, model: "claude", reason: "model claude is not served in region eu"},
		{name: "eu tenant, another model outside the EU", key: eu, model: "gemini", reason: "model gemini is not served in region eu"},
		{name: "tenant without a region", key: clientKeyRecord(), model: "claude", backend: fp.BackendAnthropic},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			marker := newMarker()
			r := e.doAs(t, "POST", "/v1/chat/completions", chatBody(t, c.model, marker, c.stream), c.key.bearer())
			if c.backend == "" {
				checkDenial(t, r, http.StatusForbidden, c.reason)
				e.noUpstream(t, marker)
				return
			}
			if r.status != http.StatusOK {
				t.Fatalf("status = %d, want 200; body: %s", r.status, r.body)
			}
			for _, b := range e.fakes.Backends() {
				if b != c.backend {
					checkNoRequest(t, e.fakes.Fake(b), marker)
				}
			}
			up := e.upstream(t, c.backend, marker)
			checkCredential(t, c.backend, up)
			if c.backend == fp.BackendAzure && c.model == "gpt-4o" {
				if want := "/openai/deployments/gpt-4o-eu/chat/completions"; up.Path != want {
					t.Errorf("azure path = %q, want the stand-in's deployment %q", up.Path, want)
				}
			}
		})
	}
	t.Run("eu tenant lists EU models only", func(t *testing.T) {
		t.Parallel()
		var want []string
		for _, m := range modelsSection(configOptions{models: []modelEntry{{Name: "azure-gpt-4o", Backend: fp.BackendAzure}}}) {
			if m.Backend == fp.BackendAzure {
				want = append(want, m.Name)
			}
		}
		got := modelIDs(t, e.doAs(t, "GET", "/v1/models", "", eu.bearer()))
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("GET /v1/models for the eu tenant (-want +got):\n%s", diff)
		}
	})
}
