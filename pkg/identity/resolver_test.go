package identity_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/sluice-gw/sluice/pkg/config"
	"github.com/sluice-gw/sluice/pkg/gwerror"
	"github.com/sluice-gw/sluice/pkg/identity"
	"github.com/sluice-gw/sluice/pkg/identity/apikey"
)

// testKey is a generated key and the hash config holds for it.
type testKey struct{ key, id, hash string }

func newKey(t testing.TB) testKey {
	t.Helper()
	key, id, err := apikey.Generate()
	if err != nil {
		t.Fatal(err)
	}
	h, err := apikey.Hash(key)
	if err != nil {
		t.Fatal(err)
	}
	return testKey{key, id, h}
}

var now = time.Date(2026, 11, 21, 14, 3, 0, 0, time.UTC)

const baseConfig = `
backends: [{name: local, provider: openai_compatible}]
models: [{name: llama, backend: local}]
tenants:
  - name: acme
    teams: [{name: search}]
`

func newResolver(t testing.TB, extra string) *identity.Resolver {
	t.Helper()
	snap, err := config.Parse("test.yaml", []byte(baseConfig+extra), config.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := identity.NewResolver(snap, identity.WithClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func keyRecord(k testKey, fields string) string {
	return fmt.Sprintf("    - {id: %s, hash: %q%s}\n", k.id, k.hash, fields)
}

// req builds a Request from headers, a JWT payload under jwt_authn's
// "jwt_payload" key, and ext_proc attributes.
func req(headers map[string]string, jwt map[string]any, attrs map[string]any) identity.Request {
	in := identity.Request{Header: func(name string) string { return headers[name] }}
	if jwt != nil {
		s, err := structpb.NewStruct(map[string]any{"jwt_payload": jwt})
		if err != nil {
			panic(err)
		}
		in.FilterMetadata = map[string]*structpb.Struct{"envoy.filters.http.jwt_authn": s}
	}
	if attrs != nil {
		s, err := structpb.NewStruct(attrs)
		if err != nil {
			panic(err)
		}
		in.Conn = identity.ConnectionFrom(map[string]*structpb.Struct{identity.AttributesNamespace: s})
	}
	return in
}

func bearer(key string) map[string]string { return map[string]string{"authorization": "Bearer " + key} }

func TestResolve(t *testing.T) {
	good, expired, other, unknown := newKey(t), newKey(t), newKey(t), newKey(t)
	// mismatch's record has its own id but the hash of another key.
	mismatch := newKey(t)
	cfg := "identity:\n  allow_anonymous: true\n  api_keys:\n" +
		keyRecord(good, `, name: ranker-prod, tenant: acme, team: search, app: ranker, owner: alice@acme.example, roles: [developer], labels: {env: prod}, expires_at: "2027-01-01T00:00:00Z"`) +
		keyRecord(expired, `, tenant: acme, expires_at: "2026-01-01T00:00:00Z"`) +
		keyRecord(other, "") +
		keyRecord(testKey{id: mismatch.id, hash: other.hash}, "") +
		`  jwt: {payload_key: jwt_payload, tenant_claim: "https://acme.example/tenant", team_claim: org.team, user_claim: email, roles_claim: roles}
  mtls: {enabled: true, spiffe_pattern: "spiffe://{trust_domain}/ns/{tenant}/sa/{app}"}
  trusted_headers: {enabled: true}
`
	r := newResolver(t, cfg)
	claims := map[string]any{
		"sub": "alice", "email": "alice@acme.example", "https://acme.example/tenant": "acme",
		"org": map[string]any{"team": "search"}, "roles": []any{"ml", "admin"},
	}
	spiffe := map[string]any{identity.AttrPeerURISAN: "spiffe://cluster.local/ns/acme/sa/ranker"}
	fronted := map[string]string{"x-sluice-tenant": "acme", "x-sluice-user": "bob", "x-sluice-team": "search", "x-sluice-roles": "viewer, developer"}
	keyID := &identity.KeyInfo{ID: good.id, Name: "ranker-prod", Owner: "alice@acme.example",
		ExpiresAt: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), Labels: map[string]string{"env": "prod"}}
	asKey := &identity.Identity{
		Authenticated: true, Source: identity.SourceAPIKey, Subject: "key:" + good.id, Tenant: "acme", Team: "search",
		App: "ranker", User: "alice@acme.example", Roles: []string{"developer"}, Labels: map[string]string{"env": "prod"}, Key: keyID,
	}
	asJWT := &identity.Identity{
		Authenticated: true, Source: identity.SourceJWT, Subject: "alice", Tenant: "acme", Team: "search",
		User: "alice@acme.example", Roles: []string{"ml", "admin"}, JWT: claims,
	}
	tests := []struct {
		name string
		in   identity.Request
		want *identity.Identity
		err  error
	}{
		{"bearer key", req(bearer(good.key), nil, nil), asKey, nil},
		{"lower-case bearer scheme", req(map[string]string{"authorization": "bearer  " + good.key}, nil, nil), asKey, nil},
		{"x-api-key (Anthropic SDK)", req(map[string]string{"x-api-key": good.key}, nil, nil), asKey, nil},
		{"api-key (Azure SDK)", req(map[string]string{"api-key": good.key}, nil, nil), asKey, nil},
		{"expired key is surfaced, not rejected", req(bearer(expired.key), nil, nil), &identity.Identity{
			Authenticated: true, Source: identity.SourceAPIKey, Subject: "key:" + expired.id, Tenant: "acme",
			Key: &identity.KeyInfo{ID: expired.id, ExpiresAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Expired: true},
		}, nil},
		{"wrong checksum", req(bearer(typo(good.key)), nil, nil), nil, identity.ErrMalformedKey},
		{"truncated key", req(bearer(good.key[:40]), nil, nil), nil, identity.ErrMalformedKey},
		{"unknown id", req(bearer(unknown.key), nil, nil), nil, identity.ErrUnknownKey},
		{"hash mismatch", req(bearer(mismatch.key), nil, nil), nil, identity.ErrKeyMismatch},
		{"OpenAI key is refused, not passed on", req(bearer("sk-proj-abcdefghijklmnopqrstuvwxyz0123456789"), nil, nil), nil, identity.ErrMalformedKey},
		{"other auth scheme", req(map[string]string{"authorization": "Basic YWxpY2U6cHc="}, nil, nil), nil, identity.ErrMalformedKey},
		{"key beats jwt, mtls and headers", req(mergeHeaders(bearer(good.key), fronted), claims, spiffe), withJWT(withPrincipal(asKey), claims), nil},
		{"jwt", req(nil, claims, nil), asJWT, nil},
		{"jwt bearer Envoy verified", req(bearer("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2ln"), claims, nil), asJWT, nil},
		{"jwt bearer without a verified payload", req(bearer("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2ln"), nil, nil), nil, identity.ErrMalformedKey},
		{"jwt beats mtls and headers", req(fronted, claims, spiffe), withPrincipal(asJWT), nil},
		{"mtls", req(nil, nil, spiffe), &identity.Identity{
			Authenticated: true, Source: identity.SourceMTLS, Subject: "spiffe://cluster.local/ns/acme/sa/ranker",
			Tenant: "acme", App: "ranker", Principal: "spiffe://cluster.local/ns/acme/sa/ranker",
		}, nil},
		{"mtls beats headers", req(fronted, nil, spiffe), nil, nil},
		{"trusted headers", req(fronted, nil, nil), &identity.Identity{
			Authenticated: true, Source: identity.SourceHeader, Subject: "bob", Tenant: "acme", Team: "search",
			User: "bob", Roles: []string{"viewer", "developer"},
		}, nil},
		{"anonymous", req(map[string]string{"authorization": "  "}, nil, nil), &identity.Identity{Source: identity.SourceAnonymous}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := r.Resolve(tt.in)
			checkResolve(t, got, err, tt.want, tt.err)
			if tt.name == "mtls beats headers" && (err != nil || got.Source != identity.SourceMTLS) {
				t.Errorf("source = %v, %v; want mtls", got, err)
			}
		})
	}
}

func checkResolve(t *testing.T, got *identity.Identity, err error, want *identity.Identity, wantErr error) {
	t.Helper()
	if wantErr != nil {
		var gw *gwerror.Error
		if !errors.Is(err, wantErr) || !errors.As(err, &gw) || gw.Code != gwerror.Unauthenticated || gw.HTTPStatus() != 401 {
			t.Fatalf("Resolve error = %v, want 401 invalid_api_key caused by %v", err, wantErr)
		}
		return
	}
	if err != nil {
		t.Fatalf("Resolve: %v", err)
	}
	if want == nil {
		return
	}
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty(), cmpopts.IgnoreFields(identity.Identity{}, "TenantConfig")); diff != "" {
		t.Errorf("Identity (-want +got):\n%s", diff)
	}
}

// typo changes one character of the secret, as a mistyped key would.
func typo(key string) string {
	b := []byte(key)
	i := len(apikey.Prefix) + apikey.IDLen + 5
	if b[i] == 'a' {
		b[i] = 'b'
	} else {
		b[i] = 'a'
	}
	return string(b)
}

func mergeHeaders(a, b map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

func withPrincipal(id *identity.Identity) *identity.Identity {
	c := *id
	c.Principal = "spiffe://cluster.local/ns/acme/sa/ranker"
	return &c
}

func withJWT(id *identity.Identity, claims map[string]any) *identity.Identity {
	c := *id
	c.JWT = claims
	return &c
}

func TestResolveOff(t *testing.T) {
	r := newResolver(t, "identity:\n  allow_anonymous: false\n")
	fronted := map[string]string{"x-sluice-tenant": "acme", "x-sluice-user": "mallory"}
	spiffe := map[string]any{identity.AttrPeerURISAN: "spiffe://cluster.local/ns/acme/sa/ranker"}
	// With mTLS and trusted headers off, neither identifies anyone.
	for name, in := range map[string]identity.Request{
		"nothing":         req(nil, nil, nil),
		"trusted headers": req(fronted, nil, nil),
		"peer cert":       req(nil, nil, spiffe),
		"empty bearer":    req(map[string]string{"authorization": "Bearer "}, nil, nil),
		"nil header func": {},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := r.Resolve(in)
			checkResolve(t, got, err, nil, identity.ErrNoCredential)
		})
	}
}

func TestResolveJWTPayload(t *testing.T) {
	tests := []struct {
		name, cfg string
		md        map[string]any
		wantSub   string
		wantRoles []string
		// ns is where the metadata is; "" means jwt_authn's namespace.
		ns string
	}{
		{"first object entry in key order (Istio keys by issuer)", "",
			map[string]any{"https://b.example": map[string]any{"sub": "b"}, "https://a.example": map[string]any{"sub": "a"}, "aaa": "not an object"},
			"a", nil, ""},
		{"named payload key", "  jwt: {payload_key: p2}\n",
			map[string]any{"p1": map[string]any{"sub": "one"}, "p2": map[string]any{"sub": "two"}}, "two", nil, ""},
		{"custom namespace and claims", "  jwt: {metadata_namespace: my.jwt, subject_claim: uid}\n",
			map[string]any{"p": map[string]any{"uid": "u1"}}, "u1", nil, "my.jwt"},
		{"payload in a namespace the config does not name", "  jwt: {metadata_namespace: my.jwt}\n",
			map[string]any{"p": map[string]any{"sub": "x"}}, "", nil, ""},
		{"space-separated roles claim", "  jwt: {roles_claim: scope}\n",
			map[string]any{"p": map[string]any{"sub": "svc", "scope": "read write,admin"}}, "svc", []string{"read", "write", "admin"}, ""},
		{"nested roles claim", "  jwt: {roles_claim: realm_access.roles}\n",
			map[string]any{"p": map[string]any{"sub": "kc", "realm_access": map[string]any{"roles": []any{"x", 3.0, "y"}}}}, "kc", []string{"x", "y"}, ""},
		{"numeric subject", "",
			map[string]any{"p": map[string]any{"sub": 12345.0}}, "12345", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newResolver(t, "identity:\n"+tt.cfg)
			s, err := structpb.NewStruct(tt.md)
			if err != nil {
				t.Fatal(err)
			}
			ns := tt.ns
			if ns == "" {
				ns = config.DefaultJWTMetadataNamespace
			}
			got, err := r.Resolve(identity.Request{FilterMetadata: map[string]*structpb.Struct{ns: s}})
			if tt.wantSub == "" {
				checkResolve(t, got, err, nil, identity.ErrNoCredential)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Source != identity.SourceJWT || got.Subject != tt.wantSub {
				t.Errorf("source, subject = %s, %q; want jwt, %q", got.Source, got.Subject, tt.wantSub)
			}
			if diff := cmp.Diff(tt.wantRoles, got.Roles, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Roles (-want +got):\n%s", diff)
			}
		})
	}
}

func TestResolveConnection(t *testing.T) {
	r := newResolver(t, "identity: {allow_anonymous: true}\n")
	got, err := r.Resolve(req(nil, nil, map[string]any{
		identity.AttrSourceAddress: "10.1.2.3:53122", identity.AttrRouteName: "sluice",
		identity.AttrPeerURISAN: "spiffe://cluster.local/ns/x/sa/y",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if got.SourceAddress != "10.1.2.3" || got.SourcePort != 53122 || got.RouteName != "sluice" {
		t.Errorf("connection = %q %d %q", got.SourceAddress, got.SourcePort, got.RouteName)
	}
	// The principal is a connection fact even when mTLS does not identify.
	if got.Source != identity.SourceAnonymous || got.Principal != "spiffe://cluster.local/ns/x/sa/y" {
		t.Errorf("source, principal = %s, %q", got.Source, got.Principal)
	}
	got, err = r.Resolve(req(nil, nil, map[string]any{identity.AttrSourceAddress: "[::1]:80", identity.AttrSourcePort: 81.0}))
	if err != nil || got.SourceAddress != "::1" || got.SourcePort != 81 {
		t.Errorf("IPv6 source = %q %d, %v", got.SourceAddress, got.SourcePort, err)
	}
}

func TestTenantConfig(t *testing.T) {
	k, loose := newKey(t), newKey(t)
	r := newResolver(t, "identity:\n  api_keys:\n"+keyRecord(k, ", tenant: acme")+keyRecord(loose, ""))
	got, err := r.Resolve(req(bearer(k.key), nil, nil))
	if err != nil {
		t.Fatal(err)
	}
	if got.TenantConfig == nil || got.TenantConfig.Name != "acme" || got.TenantConfig.Teams["search"] == nil {
		t.Errorf("TenantConfig = %+v", got.TenantConfig)
	}
	if got, err = r.Resolve(req(bearer(loose.key), nil, nil)); err != nil || got.TenantConfig != nil {
		t.Errorf("TenantConfig without tenant = %+v, %v", got, err)
	}
}

func TestErrorsNeverEchoTheKey(t *testing.T) {
	k := newKey(t)
	r := newResolver(t, "identity: {allow_anonymous: true}\n")
	for _, key := range []string{k.key, typo(k.key), "sk-proj-secretsecretsecret"} {
		_, err := r.Resolve(req(bearer(key), nil, nil))
		var gw *gwerror.Error
		if !errors.As(err, &gw) {
			t.Fatalf("Resolve(%s...) = %v", key[:12], err)
		}
		secret := key[len(key)-10:]
		if strings.Contains(err.Error(), secret) || strings.Contains(string(gw.Body()), secret) {
			t.Errorf("error %q or body %s contains the key", err, gw.Body())
		}
	}
}

func TestPolicyValue(t *testing.T) {
	id := &identity.Identity{
		Authenticated: true, Source: identity.SourceAPIKey, Subject: "key:7Qx2mK9p", Tenant: "acme", Team: "search",
		App: "ranker", User: "alice@acme.example", Roles: []string{"developer"}, Labels: map[string]string{"env": "prod"},
		Key: &identity.KeyInfo{ID: "7Qx2mK9p", Name: "ranker-prod", Owner: "alice@acme.example",
			ExpiresAt: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), Labels: map[string]string{"env": "prod"}},
		JWT:       map[string]any{"sub": "alice"},
		Principal: "spiffe://cluster.local/ns/search/sa/ranker",
	}
	want := map[string]any{
		"authenticated": true, "source": "api_key", "subject": "key:7Qx2mK9p", "tenant": "acme", "team": "search",
		"app": "ranker", "user": "alice@acme.example", "roles": []any{"developer"}, "labels": map[string]any{"env": "prod"},
		"key": map[string]any{
			"id": "7Qx2mK9p", "name": "ranker-prod", "owner": "alice@acme.example",
			"expires_at": "2027-01-01T00:00:00Z", "expired": false, "labels": map[string]any{"env": "prod"},
		},
		"jwt":       map[string]any{"sub": "alice"},
		"principal": "spiffe://cluster.local/ns/search/sa/ranker",
	}
	if diff := cmp.Diff(want, id.PolicyValue()); diff != "" {
		t.Errorf("PolicyValue (-want +got):\n%s", diff)
	}
	anon := (&identity.Identity{Source: identity.SourceAnonymous}).PolicyValue()
	wantAnon := map[string]any{
		"authenticated": false, "source": "anonymous", "subject": "", "tenant": "", "team": "", "app": "", "user": "",
		"roles": []any{}, "labels": map[string]any{}, "principal": "",
	}
	if diff := cmp.Diff(wantAnon, anon); diff != "" {
		t.Errorf("anonymous PolicyValue (-want +got):\n%s", diff)
	}
	// It must convert to a protobuf Struct, as any JSON-shaped engine input does.
	if _, err := structpb.NewStruct(id.PolicyValue()); err != nil {
		t.Errorf("PolicyValue is not plain JSON: %v", err)
	}
}
