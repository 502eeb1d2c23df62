package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var identityOpts = cmp.Options{
	cmpopts.IgnoreUnexported(Identity{}),
	cmp.Comparer(func(a, b *SPIFFEPattern) bool { return a.String() == b.String() }),
}

const (
	inlineHash = "sha256:D2FMzyHAafwNxORcudFpJw:qF8aRJQIbJkP9Q_yp_4dArPAKZeiuTUL1ydgj6s8zTs"
	fileHash   = "sha256:SMp-RaVm2XK9xYMM3xBwnw:VnWB7dA3fR0KAk6bfAa_2wIE_5jfvcA1Zstkgyyxxiw"
)

func TestLoadIdentity(t *testing.T) {
	snap, err := Load("testdata/valid/identity.yaml", LoadOptions{ResolveSecrets: true, LookupEnv: noEnv})
	if err != nil {
		t.Fatal(err)
	}
	dir, err := filepath.Abs("testdata/valid")
	if err != nil {
		t.Fatal(err)
	}
	pattern, err := ParseSPIFFEPattern("spiffe://{trust_domain}/ns/{tenant}/sa/{app}")
	if err != nil {
		t.Fatal(err)
	}
	inline := &APIKey{
		ID: "V1wW7o0Z", Hash: inlineHash, Name: "ranker-prod", Tenant: "acme", Team: "search", App: "ranker",
		Owner: "alice@acme.example", Roles: []string{"developer"}, Labels: map[string]string{"env": "prod"},
		ExpiresAt: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	want := Identity{
		Keys:     []*APIKey{inline, {ID: "OPqHR5Ax", Hash: fileHash, Name: "batch", Tenant: "globex"}},
		KeysFile: filepath.Join(dir, "keys", "keys.yaml"),
		JWT: JWT{
			MetadataNamespace: "envoy.filters.http.jwt_authn", PayloadKey: "jwt_payload", SubjectClaim: "sub",
			TenantClaim: "tenant", TeamClaim: "team", UserClaim: "email", RolesClaim: "roles",
		},
		MTLS:           MTLS{Enabled: true, Pattern: pattern},
		TrustedHeaders: TrustedHeaders{Enabled: true, Tenant: "x-org", User: "x-user", Team: "x-team", Roles: "x-roles"},
	}
	if diff := cmp.Diff(want, snap.Identity, identityOpts, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("Identity (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]*APIKey{inline}, snap.Identity.InlineKeys()); diff != "" {
		t.Errorf("InlineKeys (-want +got):\n%s", diff)
	}

	wantTenants := map[string]*Tenant{
		"acme": {
			Name: "acme", Models: []string{"gpt-4o", "claude-sonnet-4-5"}, Roles: []string{"developer", "admin"},
			Region: "eu", Labels: map[string]string{"tier": "gold"},
			Teams: map[string]*Team{
				"search": {Name: "search", Models: []string{"claude-sonnet-4-5"}, Labels: map[string]string{"cost-center": "42"}},
				"ads":    {Name: "ads"},
			},
		},
		"globex": {Name: "globex", Teams: map[string]*Team{}},
	}
	if diff := cmp.Diff(wantTenants, snap.Tenants, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("Tenants (-want +got):\n%s", diff)
	}

	wantPolicy := &Policy{
		Dir: filepath.Join(dir, "policies", "sluice"), Query: "data.sluice.decision",
		Mode: PolicyDryRun, FailureMode: FailOpen,
		Data: map[string]any{
			"dev_anonymous_mock": true,
			"limits":             map[string]any{"max_tokens": 4096.0, "ratio": 0.5, "names": []any{"a", "b"}, "none": nil},
		},
		Bundle: &PolicyBundle{
			URL: "https://opa-bundles.example/bundles/sluice.tar.gz", MinDelay: 10 * time.Second,
			MaxDelay: time.Minute, BearerTokenEnv: "BUNDLE_TOKEN",
		},
		DecisionLog:      DecisionLog{Enabled: true, Path: filepath.Join(dir, "logs", "decisions.jsonl")},
		Evaluator:        EvaluatorCompiled,
		DecisionMemoSize: 512,
	}
	if diff := cmp.Diff(wantPolicy, snap.Policy); diff != "" {
		t.Errorf("Policy (-want +got):\n%s", diff)
	}

	chain := snap.FallbackChains["openai_then_anthropic"]
	if chain == nil || len(chain.Backends) != 2 || chain.Backends[0] != snap.Backends["openai"] || chain.Backends[1] != snap.Backends["anthropic"] {
		t.Errorf("FallbackChains = %+v", snap.FallbackChains)
	}
	if diff := cmp.Diff(map[string]string{"region": "us", "tier": "premium"}, snap.Backends["openai"].Labels); diff != "" {
		t.Errorf("backend labels (-want +got):\n%s", diff)
	}
	if m, _ := snap.Model("gpt-4o"); m.Labels["tier"] != "premium" {
		t.Errorf("model labels = %v", m.Labels)
	}
}

func TestIdentityDefaults(t *testing.T) {
	snap, err := Load("testdata/valid/minimal.yaml", LoadOptions{ResolveSecrets: true, LookupEnv: noEnv})
	if err != nil {
		t.Fatal(err)
	}
	want := Identity{
		JWT: JWT{MetadataNamespace: DefaultJWTMetadataNamespace, SubjectClaim: DefaultJWTSubjectClaim},
		TrustedHeaders: TrustedHeaders{
			Tenant: DefaultTenantHeader, User: DefaultUserHeader, Team: DefaultTeamHeader, Roles: DefaultRolesHeader,
		},
	}
	if diff := cmp.Diff(want, snap.Identity, identityOpts, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("Identity (-want +got):\n%s", diff)
	}
	if snap.Policy != nil || len(snap.Tenants) != 0 || len(snap.FallbackChains) != 0 {
		t.Errorf("Policy = %v, Tenants = %v, FallbackChains = %v; want none", snap.Policy, snap.Tenants, snap.FallbackChains)
	}
}

func TestPolicyDefaults(t *testing.T) {
	src := minimalWith("policy:\n  bundle:\n    url: https://b.example/b.tar.gz\n")
	snap, err := Parse("p.yaml", []byte(src), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := &Policy{
		Query: DefaultPolicyQuery, Mode: PolicyEnforce, FailureMode: FailClosed, Data: map[string]any{},
		Evaluator: DefaultEvaluator, DecisionMemoSize: DefaultDecisionMemoSize,
		Bundle: &PolicyBundle{URL: "https://b.example/b.tar.gz", MinDelay: DefaultBundleMinDelay, MaxDelay: DefaultBundleMaxDelay},
	}
	if diff := cmp.Diff(want, snap.Policy); diff != "" {
		t.Errorf("Policy (-want +got):\n%s", diff)
	}
	// A max_delay below the default min_delay pulls min_delay down with it.
	src = minimalWith("policy:\n  bundle:\n    url: https://b.example/b.tar.gz\n    polling: {max_delay: 5s}\n")
	if snap, err = Parse("p.yaml", []byte(src), LoadOptions{}); err != nil {
		t.Fatal(err)
	}
	if b := snap.Policy.Bundle; b.MinDelay != 5*time.Second || b.MaxDelay != 5*time.Second {
		t.Errorf("polling = %s..%s, want 5s..5s", b.MinDelay, b.MaxDelay)
	}
}

func minimalWith(extra string) string {
	return "backends: [{name: local, provider: openai_compatible}]\nmodels: [{name: llama, backend: local}]\n" + extra
}

// keysConfig writes a config naming keys.yaml beside it, and that file
// unless content is empty.
func keysConfig(t *testing.T, content string) string {
	t.Helper()
	dir := t.TempDir()
	cfg := minimalWith("tenants: [{name: acme}]\nidentity:\n  api_keys_file: keys.yaml\n  api_keys:\n" +
		"    - {id: V1wW7o0Z, hash: \"" + inlineHash + "\"}\n")
	path := filepath.Join(dir, "sluice.yaml")
	writeFile(t, path, cfg)
	if content != "" {
		writeFile(t, filepath.Join(dir, "keys.yaml"), content)
	}
	return path
}

func TestKeysFile(t *testing.T) {
	tests := []struct {
		name, content string
		opts          LoadOptions
		wantKeys      int
		wantWarning   string
		wantErr       string
		wantIs        error
	}{
		{name: "loaded", content: "api_keys:\n  - {id: OPqHR5Ax, hash: \"" + fileHash + "\", tenant: acme}\n",
			opts: LoadOptions{ResolveSecrets: true}, wantKeys: 2},
		{name: "not read without secrets", content: "api_keys: []\n", opts: LoadOptions{}, wantKeys: 1},
		{name: "missing is a warning", opts: LoadOptions{ResolveSecrets: true}, wantKeys: 1,
			wantWarning: "identity.api_keys_file: reading API keys file: credential unavailable: open "},
		{name: "missing is an error when required", opts: LoadOptions{RequireSecrets: true},
			wantErr: "reading API keys file", wantIs: ErrCredential},
		{name: "unknown tenant", content: "api_keys:\n  - {id: OPqHR5Ax, hash: \"" + fileHash + "\", tenant: globex}\n",
			opts: LoadOptions{ResolveSecrets: true}, wantErr: `keys.yaml:2: api_keys[0].tenant: unknown tenant "globex"`, wantIs: ErrInvalid},
		{name: "id also inline", content: "api_keys:\n  - {id: V1wW7o0Z, hash: \"" + fileHash + "\"}\n",
			opts:    LoadOptions{ResolveSecrets: true},
			wantErr: `keys.yaml:2: api_keys[0].id: duplicate key id "V1wW7o0Z" (first defined at identity.api_keys[0] in the config)`, wantIs: ErrInvalid},
		{name: "unknown field", content: "keys: []\n", opts: LoadOptions{ResolveSecrets: true},
			wantErr: `keys.yaml:1: unknown field "keys"`, wantIs: ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := tt.opts
			opts.LookupEnv = noEnv
			snap, err := Load(keysConfig(t, tt.content), opts)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, tt.wantIs) {
					t.Fatalf("Load = %v, want an error containing %q matching %v", err, tt.wantErr, tt.wantIs)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(snap.Identity.Keys) != tt.wantKeys {
				t.Errorf("got %d keys, want %d", len(snap.Identity.Keys), tt.wantKeys)
			}
			warnings := strings.Join(snap.Warnings, "\n")
			if tt.wantWarning != "" && !strings.Contains(warnings, tt.wantWarning) || tt.wantWarning == "" && warnings != "" {
				t.Errorf("Warnings = %q, want %q", warnings, tt.wantWarning)
			}
		})
	}
}

func TestReadAPIKeysWithoutFile(t *testing.T) {
	snap, err := Parse("k.yaml", []byte(minimalWith("identity:\n  api_keys:\n    - {id: V1wW7o0Z, hash: \""+inlineHash+"\"}\n")), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	keys, err := snap.ReadAPIKeys()
	if err != nil || len(keys) != 1 || keys[0].ID != "V1wW7o0Z" {
		t.Errorf("ReadAPIKeys = %v, %v", keys, err)
	}
	// The snapshot's own records are never changed by a later append.
	more, err := snap.ParseAPIKeys("f.yaml", []byte("api_keys:\n  - {id: OPqHR5Ax, hash: \""+fileHash+"\"}\n"))
	if err != nil || len(more) != 2 || len(snap.Identity.Keys) != 1 {
		t.Errorf("ParseAPIKeys = %d keys, %v; snapshot has %d", len(more), err, len(snap.Identity.Keys))
	}
}

func TestSPIFFEPattern(t *testing.T) {
	tests := []struct {
		pattern, id string
		want        SPIFFEFields
		ok          bool
	}{
		{"spiffe://{trust_domain}/ns/{tenant}/sa/{app}", "spiffe://cluster.local/ns/acme/sa/ranker",
			SPIFFEFields{TrustDomain: "cluster.local", Tenant: "acme", App: "ranker"}, true},
		{"spiffe://acme.example/{tenant}/{team}/*", "spiffe://acme.example/acme/search/worker-1",
			SPIFFEFields{TrustDomain: "acme.example", Tenant: "acme", Team: "search"}, true},
		{"spiffe://acme.example/{tenant}", "spiffe://other.example/acme", SPIFFEFields{}, false},
		{"spiffe://{trust_domain}/ns/{tenant}/sa/{app}", "spiffe://cluster.local/ns/acme/sa", SPIFFEFields{}, false},
		{"spiffe://{trust_domain}/ns/{tenant}/sa/{app}", "spiffe://cluster.local/ns/acme/sa/ranker/x", SPIFFEFields{}, false},
		{"spiffe://{trust_domain}/ns/{tenant}/sa/{app}", "spiffe://cluster.local/ns//sa/ranker", SPIFFEFields{}, false},
		{"spiffe://{trust_domain}/ns/{tenant}/sa/{app}", "spiffe://cluster.local/xs/acme/sa/ranker", SPIFFEFields{}, false},
		{"spiffe://{trust_domain}/ns/{tenant}/sa/{app}", "https://cluster.local/ns/acme/sa/ranker", SPIFFEFields{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			p, err := ParseSPIFFEPattern(tt.pattern)
			if err != nil {
				t.Fatal(err)
			}
			got, ok := p.Match(tt.id)
			if ok != tt.ok || got != tt.want {
				t.Errorf("Match = %+v, %v; want %+v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
	for _, bad := range []string{
		"https://x/{tenant}", "spiffe://{trust_domain}", "spiffe://{tenant}/x", "spiffe://td/{tenant}/{tenant}",
		"spiffe://td/ns-{tenant}", "spiffe://td/{user}", "spiffe://td/a b", "spiffe://td//x",
	} {
		if _, err := ParseSPIFFEPattern(bad); err == nil {
			t.Errorf("ParseSPIFFEPattern(%q) succeeded", bad)
		}
	}
}

func TestExampleIdentity(t *testing.T) {
	snap, err := Load("../../examples/sluice.yaml", LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !snap.Identity.AllowAnonymous || len(snap.Identity.Keys) == 0 || snap.Tenants["demo"] == nil {
		t.Errorf("example identity = %+v, tenants = %v", snap.Identity, snap.Tenants)
	}
	if snap.Policy == nil || snap.Policy.Data["dev_anonymous_mock"] != true {
		t.Errorf("example policy = %+v", snap.Policy)
	}
	if _, err := os.Stat(filepath.Dir(snap.Policy.Dir)); err != nil {
		t.Errorf("policy dir's parent: %v", err)
	}
	if snap.FallbackChains["openai_then_anthropic"] == nil {
		t.Error("example has no openai_then_anthropic chain")
	}
}
