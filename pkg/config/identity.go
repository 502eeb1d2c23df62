package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	configv1 "github.com/sluice-gw/sluice/api/sluice/config/v1"
)

// Defaults of the identity settings.
const (
	DefaultJWTMetadataNamespace = "envoy.filters.http.jwt_authn"
	DefaultJWTSubjectClaim      = "sub"
	DefaultTenantHeader         = "x-sluice-tenant"
	DefaultUserHeader           = "x-sluice-user"
	DefaultTeamHeader           = "x-sluice-team"
	DefaultRolesHeader          = "x-sluice-roles"
)

// Identity is how callers are identified. pkg/identity resolves requests
// against it.
type Identity struct {
	// AllowAnonymous lets callers without a credential reach policy.
	AllowAnonymous bool
	// Keys are the key records: identity.api_keys in config order, then,
	// when the load resolved secrets, the records of KeysFile.
	Keys []*APIKey
	// KeysFile is the absolute path of identity.api_keys_file, or "".
	KeysFile       string
	JWT            JWT
	MTLS           MTLS
	TrustedHeaders TrustedHeaders

	// inline counts the records at the start of Keys written in the config.
	inline int
}

// APIKey is one key record. It never holds the key itself.
type APIKey struct {
	ID string
	// Hash is "sha256:<salt>:<digest>"; see pkg/identity/apikey.
	Hash                           string
	Name, Tenant, Team, App, Owner string
	Roles                          []string
	Labels                         map[string]string
	// ExpiresAt is zero for a key that does not expire.
	ExpiresAt time.Time
}

// JWT names where a verified JWT payload is and which claims mean what.
// An empty claim name maps nothing.
type JWT struct {
	MetadataNamespace string
	// PayloadKey is the entry under the namespace holding the payload; ""
	// means the first entry in key order.
	PayloadKey                           string
	SubjectClaim, TenantClaim, TeamClaim string
	UserClaim, RolesClaim                string
}

// MTLS says whether the peer certificate's URI SAN identifies callers.
type MTLS struct {
	Enabled bool
	// Pattern is nil when no spiffe_pattern is set.
	Pattern *SPIFFEPattern
}

// TrustedHeaders names the headers a trusted front sets.
type TrustedHeaders struct {
	Enabled                   bool
	Tenant, User, Team, Roles string
}

// buildIdentity turns the validated, defaulted identity section into its
// Snapshot form. Relative files resolve from dir.
func buildIdentity(id *configv1.Identity, dir string) Identity {
	out := Identity{
		AllowAnonymous: id.GetAllowAnonymous(),
		KeysFile:       absPath(dir, id.GetApiKeysFile()),
		JWT: JWT{
			MetadataNamespace: id.GetJwt().GetMetadataNamespace(),
			PayloadKey:        id.GetJwt().GetPayloadKey(),
			SubjectClaim:      id.GetJwt().GetSubjectClaim(),
			TenantClaim:       id.GetJwt().GetTenantClaim(),
			TeamClaim:         id.GetJwt().GetTeamClaim(),
			UserClaim:         id.GetJwt().GetUserClaim(),
			RolesClaim:        id.GetJwt().GetRolesClaim(),
		},
		MTLS: MTLS{Enabled: id.GetMtls().GetEnabled()},
		TrustedHeaders: TrustedHeaders{
			Enabled: id.GetTrustedHeaders().GetEnabled(),
			Tenant:  id.GetTrustedHeaders().GetTenant(),
			User:    id.GetTrustedHeaders().GetUser(),
			Team:    id.GetTrustedHeaders().GetTeam(),
			Roles:   id.GetTrustedHeaders().GetRoles(),
		},
	}
	if pat := id.GetMtls().GetSpiffePattern(); pat != "" {
		out.MTLS.Pattern, _ = ParseSPIFFEPattern(pat) // validated already
	}
	out.Keys = buildKeys(id.GetApiKeys())
	out.inline = len(out.Keys)
	return out
}

func buildKeys(keys []*configv1.ApiKey) []*APIKey {
	out := make([]*APIKey, 0, len(keys))
	for _, k := range keys {
		rec := &APIKey{
			ID: k.GetId(), Hash: k.GetHash(), Name: k.GetName(),
			Tenant: k.GetTenant(), Team: k.GetTeam(), App: k.GetApp(), Owner: k.GetOwner(),
			Roles: k.GetRoles(), Labels: k.GetLabels(),
		}
		if k.GetExpiresAt() != nil {
			rec.ExpiresAt = k.GetExpiresAt().AsTime()
		}
		out = append(out, rec)
	}
	return out
}

// InlineKeys are the key records written in the config itself, without
// those of the keys file.
func (id *Identity) InlineKeys() []*APIKey {
	return id.Keys[:id.inline:id.inline]
}

// ReadAPIKeys reads identity.api_keys_file now and returns every key
// record: the config's own, then the file's. Without a keys file it
// returns the config's own. A file that cannot be read is an error
// matching ErrCredential; one that does not decode or validate, an error
// matching ErrInvalid that names the file, line and entry.
func (s *Snapshot) ReadAPIKeys() ([]*APIKey, error) {
	path := s.Identity.KeysFile
	if path == "" {
		return s.Identity.InlineKeys(), nil
	}
	src, err := os.ReadFile(filepath.Clean(path))
	if err != nil {
		return nil, fmt.Errorf("reading API keys file: %w: %w", ErrCredential, err)
	}
	return s.ParseAPIKeys(path, src)
}

// ParseAPIKeys decodes src, the content of an API keys file (`api_keys:
// [...]`), checks its records against this snapshot (known tenants and
// teams, ids unique across the config and the file), and returns every key
// record: the config's own, then the file's. name labels errors.
func (s *Snapshot) ParseAPIKeys(name string, src []byte) ([]*APIKey, error) {
	p := newProblems(name)
	root, ok := parseYAML(src, p)
	if !ok {
		return nil, p.err()
	}
	file := &configv1.ApiKeysFile{}
	d := &decoder{problems: p, budget: maxNodes}
	d.message(root, file.ProtoReflect(), "")
	if err := p.err(); err != nil {
		return nil, err
	}
	kc := keyCheck{tenants: s.tenantTeams(), seen: map[string]string{}}
	for i, k := range s.Identity.InlineKeys() {
		kc.seen[k.ID] = fmt.Sprintf("identity.api_keys[%d] in the config", i)
	}
	kc.check(file.GetApiKeys(), "api_keys", p)
	if err := p.err(); err != nil {
		return nil, err
	}
	return append(s.Identity.InlineKeys(), buildKeys(file.GetApiKeys())...), nil
}

// loadKeysFile adds the keys file's records to snap at load time. A file
// that cannot be read is returned as a credential problem; one that is
// invalid fails the load.
func loadKeysFile(snap *Snapshot, p *problems) (credErr, invalid error) {
	keys, err := snap.ReadAPIKeys()
	switch {
	case err == nil:
		snap.Identity.Keys = keys
		return nil, nil
	case errors.Is(err, ErrCredential):
		path := "identity.api_keys_file"
		return &Error{File: p.file, Line: p.line(path), Path: path, Msg: err.Error(), Err: err}, nil
	}
	return nil, err
}

// absPath resolves a relative path from dir; "" stays "".
func absPath(dir, path string) string {
	if path == "" {
		return ""
	}
	if !filepath.IsAbs(path) {
		path = filepath.Join(dir, path)
	}
	if abs, err := filepath.Abs(path); err == nil {
		return abs
	}
	return filepath.Clean(path)
}
