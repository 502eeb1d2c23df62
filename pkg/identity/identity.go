// Package identity tells who is calling. A Resolver, built from a config
// snapshot, turns what Envoy hands ext_proc (headers, the JWT payload that
// jwt_authn forwarded in metadata_context, the peer certificate and source
// address attributes) into an Identity, the `identity` object of the policy
// input. It authenticates Sluice API keys itself: a lookup by the key's
// public id and a constant-time comparison of salted SHA-256 digests. It
// never decides what a caller may do; policy does.
//
// The key format and hashing are in the apikey subpackage. See README.md
// in this directory.
package identity

import (
	"time"

	"github.com/sluice-gw/sluice/pkg/config"
)

// Source is where an identity came from.
type Source string

// The identity sources, in order of precedence.
const (
	SourceAPIKey    Source = "api_key"
	SourceJWT       Source = "jwt"
	SourceMTLS      Source = "mtls"
	SourceHeader    Source = "header"
	SourceAnonymous Source = "anonymous"
)

// Identity is who made a request, as policies see it (docs/policy-reference.md,
// identity.*), plus the connection facts the policy input carries beside it.
type Identity struct {
	// Authenticated is true when a credential was presented and verified
	// (by Sluice for keys, by Envoy or a trusted front for the others).
	Authenticated bool
	Source        Source
	// Subject is a stable caller id: "key:<id>", the JWT subject, the SPIFFE
	// id, or the trusted user header. Empty for anonymous callers.
	Subject string
	Tenant  string
	Team    string
	App     string
	User    string
	Roles   []string
	Labels  map[string]string
	// Key is set for api_key callers, and never holds the key or its hash.
	Key *KeyInfo
	// JWT is the verified JWT payload Envoy forwarded, whatever the source.
	JWT map[string]any
	// Principal is the mTLS peer's URI SAN, whenever Envoy reports one.
	Principal string

	// SourceAddress and SourcePort are the client as Envoy saw it.
	SourceAddress string
	SourcePort    int
	// RouteName is Envoy's route name (xds.route_name).
	RouteName string
	// TenantConfig is the configured tenant named by Tenant, or nil.
	TenantConfig *config.Tenant
}

// KeyInfo describes the API key a caller used.
type KeyInfo struct {
	ID    string
	Name  string
	Owner string
	// ExpiresAt is zero for a key that does not expire.
	ExpiresAt time.Time
	// Expired is true once ExpiresAt has passed. Sluice does not reject
	// expired keys itself: policy decides (the reference policy denies).
	Expired bool
	Labels  map[string]string
}

// PolicyValue is the `identity` object of the policy input. Every field of
// the contract is present, with empty values when unknown; `key` only for
// api_key callers and `jwt` only when Envoy forwarded a payload.
func (id *Identity) PolicyValue() map[string]any {
	v := map[string]any{
		"authenticated": id.Authenticated,
		"source":        string(id.Source),
		"subject":       id.Subject,
		"tenant":        id.Tenant,
		"team":          id.Team,
		"app":           id.App,
		"user":          id.User,
		"roles":         stringList(id.Roles),
		"labels":        stringMap(id.Labels),
		"principal":     id.Principal,
	}
	if k := id.Key; k != nil {
		expires := ""
		if !k.ExpiresAt.IsZero() {
			expires = k.ExpiresAt.UTC().Format(time.RFC3339)
		}
		v["key"] = map[string]any{
			"id":         k.ID,
			"name":       k.Name,
			"owner":      k.Owner,
			"expires_at": expires,
			"expired":    k.Expired,
			"labels":     stringMap(k.Labels),
		}
	}
	if id.JWT != nil {
		v["jwt"] = id.JWT
	}
	return v
}

// stringList and stringMap build the plain JSON types every policy engine
// accepts.
func stringList(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

func stringMap(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
