package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tidwall/gjson"

	fp "github.com/sluice-gw/sluice/e2e/fakeprovider"
)

// callerIdentity is the part of the policy input's identity that says who
// called, as the decision log records it.
type callerIdentity struct {
	Source, Subject, Tenant, User, App string
	Roles                              []string
	// Principal is the peer certificate's URI SAN, whatever the source.
	Principal string
}

func identityOf(d gjson.Result) callerIdentity {
	id := d.Get("input.identity")
	c := callerIdentity{
		Source: id.Get("source").String(), Subject: id.Get("subject").String(),
		Tenant: id.Get("tenant").String(), User: id.Get("user").String(), App: id.Get("app").String(),
		Principal: id.Get("principal").String(),
	}
	for _, r := range id.Get("roles").Array() {
		c.Roles = append(c.Roles, r.String())
	}
	return c
}

const (
	acmeRanker    = "spiffe://cluster.local/ns/acme/sa/ranker"
	unmatchedPeer = "spiffe://cluster.local/workload/batch"
)

// Each identity source, through the stand-in and the reference policy:
// who the caller is (as the policy saw it, from the decision log) and what
// the policy made of it. Tenants come from key records, JWT claims, the
// SPIFFE id and trusted headers alike, and the allowlists follow them.
func TestIdentitySources(t *testing.T) {
	t.Parallel()
	e, k := newTenancyEnv(t)
	carol := signedJWT(t, map[string]any{
		"iss": "https://idp.e2e.example", "sub": "u-carol", "tenant": "globex",
		"email": "carol@globex.example", "roles": []string{"developer", "ml"},
	})
	viewerJWT := signedJWT(t, map[string]any{"sub": "u-vic", "tenant": "acme", "roles": "viewer"})
	e.fakes.Forbid(carol, viewerJWT)
	alice := callerIdentity{Source: "api_key", Subject: "key:" + k.acme.ID, Tenant: "acme",
		User: "alice@acme.example", App: "ranker", Roles: []string{"developer"}}
	dave := headers("x-sluice-tenant", "globex", "x-sluice-user", "dave@globex.example", "x-sluice-roles", "developer, ml")
	cases := []struct {
		name    string
		hdr     http.Header
		model   string
		backend string // serving backend; "" when denied
		want    callerIdentity
		status  int
		reason  string // error.message of a deny
	}{
		{name: "api key as bearer", hdr: k.acme.bearer(), model: "gpt-4o", backend: fp.BackendOpenAI, want: alice},
		{name: "api key as x-api-key", hdr: headers("x-api-key", k.acme.key), model: "gpt-4o", backend: fp.BackendOpenAI, want: alice},
		{name: "api key as api-key", hdr: headers("api-key", k.acme.key), model: "gpt-4o", backend: fp.BackendOpenAI, want: alice},
		{name: "jwt claims", hdr: headers("Authorization", "Bearer "+carol), model: "claude", backend: fp.BackendAnthropic,
			want: callerIdentity{Source: "jwt", Subject: "u-carol", Tenant: "globex", User: "carol@globex.example", Roles: []string{"developer", "ml"}}},
		{name: "mtls spiffe id", hdr: headers(peerHeader, acmeRanker), model: "gpt-4o", backend: fp.BackendOpenAI,
			want: callerIdentity{Source: "mtls", Subject: acmeRanker, Tenant: "acme", App: "ranker"}},
		{name: "trusted headers", hdr: dave, model: "claude", backend: fp.BackendAnthropic,
			want: callerIdentity{Source: "header", Subject: "dave@globex.example", Tenant: "globex", User: "dave@globex.example", Roles: []string{"developer", "ml"}}},
		{name: "api key wins over mtls and headers", model: "gpt-4o", backend: fp.BackendOpenAI, want: alice,
			hdr: merge(dave, headers(peerHeader, "spiffe://cluster.local/ns/globex/sa/x"), k.acme.bearer())},
		{name: "api key in x-api-key wins over a jwt", model: "gpt-4o", backend: fp.BackendOpenAI, want: alice,
			hdr: headers("x-api-key", k.acme.key, "Authorization", "Bearer "+carol)},
		{name: "jwt wins over mtls and headers", model: "claude", backend: fp.BackendAnthropic,
			hdr:  merge(dave, headers(peerHeader, acmeRanker, "Authorization", "Bearer "+carol)),
			want: callerIdentity{Source: "jwt", Subject: "u-carol", Tenant: "globex", User: "carol@globex.example", Roles: []string{"developer", "ml"}}},
		{name: "mtls wins over headers", hdr: merge(dave, headers(peerHeader, acmeRanker)), model: "gpt-4o", backend: fp.BackendOpenAI,
			want: callerIdentity{Source: "mtls", Subject: acmeRanker, Tenant: "acme", App: "ranker"}},

		{name: "jwt tenant allowlist", hdr: headers("Authorization", "Bearer "+carol), model: "gpt-4o",
			want:   callerIdentity{Source: "jwt", Subject: "u-carol", Tenant: "globex", User: "carol@globex.example", Roles: []string{"developer", "ml"}},
			status: 403, reason: "model gpt-4o is not allowed for tenant globex"},
		{name: "jwt roles claim as a string", hdr: headers("Authorization", "Bearer "+viewerJWT), model: "gpt-4o",
			want:   callerIdentity{Source: "jwt", Subject: "u-vic", Tenant: "acme", Roles: []string{"viewer"}},
			status: 403, reason: "role viewer may only list models"},
		{name: "key roles", hdr: k.viewer.bearer(), model: "gpt-4o",
			want:   callerIdentity{Source: "api_key", Subject: "key:" + k.viewer.ID, Tenant: "acme", Roles: []string{"viewer"}},
			status: 403, reason: "role viewer may only list models"},
		{name: "mtls tenant allowlist", hdr: headers(peerHeader, acmeRanker), model: "claude",
			want:   callerIdentity{Source: "mtls", Subject: acmeRanker, Tenant: "acme", App: "ranker"},
			status: 403, reason: "model claude is not allowed for tenant acme"},
		{name: "mtls id outside the pattern", hdr: headers(peerHeader, unmatchedPeer), model: "gpt-4o",
			want:   callerIdentity{Source: "mtls", Subject: unmatchedPeer},
			status: 403, reason: "the caller belongs to no configured tenant"},
		{name: "trusted headers naming an unknown tenant", hdr: headers("x-sluice-tenant", "initech", "x-sluice-user", "eve"), model: "gpt-4o",
			want:   callerIdentity{Source: "header", Subject: "eve", Tenant: "initech", User: "eve"},
			status: 403, reason: "the caller belongs to no configured tenant"},
		{name: "key tenant wins over trusted headers", hdr: merge(dave, k.acme.bearer()), model: "claude", want: alice,
			status: 403, reason: "model claude is not allowed for tenant acme"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			marker := newMarker()
			r := e.doAs(t, "POST", "/v1/chat/completions", chatBody(t, c.model, marker, false), c.hdr)
			id := r.header.Get(decisionHeader)
			if id == "" {
				t.Errorf("no %s header; status %d, body %s", decisionHeader, r.status, r.body)
			}
			if c.status == 0 {
				if r.status != http.StatusOK {
					t.Fatalf("status = %d, want 200; body: %s", r.status, r.body)
				}
				up := e.upstream(t, c.backend, marker)
				checkCredential(t, c.backend, up)
				checkNoCallerHeaders(t, up)
			} else {
				checkDenial(t, r, c.status, c.reason)
				e.noUpstream(t, marker)
			}
			if id == "" {
				return
			}
			want := c.want
			want.Principal = c.hdr.Get(peerHeader)
			if diff := cmp.Diff(want, identityOf(e.decision(t, id))); diff != "" {
				t.Errorf("identity in the policy input (-want +got):\n%s", diff)
			}
		})
	}
}

// checkNoCallerHeaders asserts nothing that identified the caller to
// Sluice reached the provider: the trusted headers and the peer stand-in.
func checkNoCallerHeaders(t *testing.T, r fp.Request) {
	t.Helper()
	for _, name := range []string{"x-sluice-tenant", "x-sluice-user", "x-sluice-team", "x-sluice-roles", peerHeader} {
		if v := r.Header.Get(name); v != "" {
			t.Errorf("the provider received the caller's %s header: %q", name, v)
		}
	}
}

// Credentials Sluice does not accept: 401 in OpenAI's shape, with a
// message that never repeats what was sent, and nothing upstream. A
// credential meant for someone else is never passed on.
func TestBadCredentials(t *testing.T) {
	t.Parallel()
	e, _ := newTenancyEnv(t)
	unknown := newKey(t, keyRecord{}).key // well-formed, not configured
	forged := forgedJWT(t, map[string]any{"sub": "mallory", "tenant": "acme"})
	cases := []struct {
		name, secret string
		hdr          http.Header
	}{
		{name: "no credential"},
		{name: "malformed key", secret: "sk-sluice-nope", hdr: headers("Authorization", "Bearer sk-sluice-nope")},
		{name: "unknown key", secret: unknown, hdr: headers("Authorization", "Bearer "+unknown)},
		{name: "unknown key as x-api-key", secret: unknown, hdr: headers("x-api-key", unknown)},
		{name: "an OpenAI key", secret: "sk-proj-abc123", hdr: headers("Authorization", "Bearer sk-proj-abc123")},
		{name: "basic auth", secret: "YWxpY2U6c2VjcmV0", hdr: headers("Authorization", "Basic YWxpY2U6c2VjcmV0")},
		{name: "jwt Envoy did not verify", secret: forged, hdr: headers("Authorization", "Bearer "+forged)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			marker := newMarker()
			r := e.doAs(t, "POST", "/v1/chat/completions", chatBody(t, "gpt-4o", marker, false), c.hdr)
			got := checkOpenAIError(t, r, http.StatusUnauthorized)
			if code := got.Get("code").String(); code != "invalid_api_key" {
				t.Errorf("error.code = %q, want invalid_api_key", code)
			}
			if c.secret != "" && strings.Contains(string(r.body), c.secret) {
				t.Errorf("the error repeats the credential: %s", r.body)
			}
			e.noUpstream(t, marker)
		})
	}
}

// With trusted headers and mTLS turned off, neither identifies anyone:
// the headers and the peer certificate alone get 401, and next to a key
// they change nothing.
func TestIdentitySourcesOff(t *testing.T) {
	t.Parallel()
	k, c := newTenancy(t)
	c.identity = map[string]any{
		"mtls":            map[string]any{"enabled": false, "spiffe_pattern": spiffePattern},
		"trusted_headers": map[string]any{"enabled": false},
	}
	e := newEnv(t, withConfig(c), withDecisionLog())
	e.fakes.Forbid(k.acme.key)
	claim := headers("x-sluice-tenant", "acme", "x-sluice-user", "mallory", "x-sluice-roles", "admin")
	for _, tc := range []struct {
		name string
		hdr  http.Header
	}{
		{"trusted headers", claim},
		{"peer certificate", headers(peerHeader, acmeRanker)},
		{"both", merge(claim, headers(peerHeader, acmeRanker))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			marker := newMarker()
			r := e.doAs(t, "POST", "/v1/chat/completions", chatBody(t, "gpt-4o", marker, false), tc.hdr)
			checkOpenAIError(t, r, http.StatusUnauthorized)
			e.noUpstream(t, marker)
		})
	}
	t.Run("next to a key", func(t *testing.T) {
		t.Parallel()
		marker := newMarker()
		hdr := merge(headers("x-sluice-tenant", "globex", "x-sluice-user", "mallory", peerHeader, acmeRanker), k.acme.bearer())
		r := e.doAs(t, "POST", "/v1/chat/completions", chatBody(t, "gpt-4o", marker, false), hdr)
		if r.status != http.StatusOK {
			t.Fatalf("status = %d, want 200; body: %s", r.status, r.body)
		}
		// mTLS off still records the peer's id; it only identifies no one.
		want := callerIdentity{Source: "api_key", Subject: "key:" + k.acme.ID, Tenant: "acme",
			User: "alice@acme.example", App: "ranker", Roles: []string{"developer"}, Principal: acmeRanker}
		if diff := cmp.Diff(want, identityOf(e.decision(t, r.header.Get(decisionHeader)))); diff != "" {
			t.Errorf("identity in the policy input (-want +got):\n%s", diff)
		}
		checkNoCallerHeaders(t, e.upstream(t, fp.BackendOpenAI, marker))
	})
}
