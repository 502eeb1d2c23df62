package identity

import (
	"errors"
	"fmt"
	"maps"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"google.golang.org/protobuf/types/known/structpb"

	"github.com/sluice-gw/sluice/pkg/config"
	"github.com/sluice-gw/sluice/pkg/gwerror"
	"github.com/sluice-gw/sluice/pkg/identity/apikey"
)

// AttributesNamespace is where Envoy puts the ext_proc attributes.
const AttributesNamespace = "envoy.filters.http.ext_proc"

// The Envoy attributes a Resolver reads. Envoy sends only those listed in
// the ext_proc filter's request_attributes.
const (
	AttrPeerURISAN    = "connection.uri_san_peer_certificate"
	AttrSourceAddress = "source.address"
	AttrSourcePort    = "source.port"
	AttrRouteName     = "xds.route_name"
)

// Causes of a 401, for logs and errors.Is. Clients see only a generic
// message: which check failed is nobody's business but the operator's.
var (
	ErrNoCredential = errors.New("no credential")
	ErrMalformedKey = errors.New("not a well-formed Sluice API key")
	ErrUnknownKey   = errors.New("unknown key id")
	ErrKeyMismatch  = errors.New("key does not match its record")
)

// Request is what a Resolver looks at.
type Request struct {
	// Header returns a request header by lower-case name, "" when absent.
	// Nil means no headers.
	Header func(name string) string
	// FilterMetadata is the ext_proc metadata_context's filter metadata
	// (the JWT payload under envoy.filters.http.jwt_authn).
	FilterMetadata map[string]*structpb.Struct
	// Conn is what Envoy's attributes say of the connection.
	Conn Connection
}

// Connection holds the Envoy attributes a Resolver reads, from the
// AttributesNamespace Struct: each string attribute's string value ("" if
// absent or not a string), and source.port as Envoy's number, if sent.
type Connection struct {
	SourceAddress string
	PeerURISAN    string
	RouteName     string
	SourcePort    float64
	HasSourcePort bool
}

// ConnectionFrom reads the attributes of AttributesNamespace.
func ConnectionFrom(attrs map[string]*structpb.Struct) Connection {
	f := attrs[AttributesNamespace].GetFields()
	c := Connection{
		SourceAddress: f[AttrSourceAddress].GetStringValue(),
		PeerURISAN:    f[AttrPeerURISAN].GetStringValue(),
		RouteName:     f[AttrRouteName].GetStringValue(),
	}
	if p, ok := f[AttrSourcePort]; ok {
		c.SourcePort, c.HasSourcePort = p.GetNumberValue(), true
	}
	return c
}

func (in Request) header(name string) string {
	if in.Header == nil || name == "" {
		return ""
	}
	return strings.TrimSpace(in.Header(name))
}

// Resolver resolves identities against one config snapshot. It is safe
// for concurrent use; SetKeys, ReloadKeys and WatchKeys swap its key
// records atomically while requests resolve.
type Resolver struct {
	snap *config.Snapshot
	cfg  *config.Identity
	keys atomic.Pointer[keyIndex]
	now  func() time.Time
}

// Option configures a Resolver.
type Option func(*Resolver)

// WithClock replaces time.Now, which decides whether keys have expired.
func WithClock(now func() time.Time) Option {
	return func(r *Resolver) { r.now = now }
}

// NewResolver builds a Resolver accepting the key records of
// snap.Identity.Keys.
func NewResolver(snap *config.Snapshot, opts ...Option) (*Resolver, error) {
	r := &Resolver{snap: snap, cfg: &snap.Identity, now: time.Now}
	for _, o := range opts {
		o(r)
	}
	if err := r.SetKeys(snap.Identity.Keys); err != nil {
		return nil, err
	}
	return r, nil
}

// Resolve says who made the request. Precedence: an API key, then a JWT
// payload, then the mTLS peer (when enabled), then trusted headers (when
// enabled), else anonymous. The error is always a *gwerror.Error with
// code invalid_api_key (401):
//   - a key, or anything else in authorization, x-api-key or api-key, that
//     is not a valid Sluice key: such a credential is never passed on, even
//     when anonymous callers are allowed. A bearer JWT is the exception
//     when Envoy forwarded its verified payload.
//   - no credential at all, unless anonymous callers are allowed.
func (r *Resolver) Resolve(in Request) (*Identity, error) {
	id := &Identity{}
	connection(in.Conn, id)
	id.JWT = r.jwtPayload(in.FilterMetadata)
	cred, bearer := credential(in)
	verifiedJWT := bearer && id.JWT != nil && looksLikeJWT(cred)
	if verifiedJWT {
		// The bearer slot holds the JWT; a Sluice key may still ride in
		// the SDK headers, and keys take precedence over JWTs.
		cred = sdkKey(in)
		verifiedJWT = cred == ""
	}
	switch {
	case cred != "" && !verifiedJWT:
		if err := r.fromKey(cred, id); err != nil {
			return nil, err
		}
	case id.JWT != nil:
		r.fromJWT(id)
	case r.cfg.MTLS.Enabled && id.Principal != "":
		r.fromMTLS(id)
	case r.cfg.TrustedHeaders.Enabled && r.fromHeaders(in, id):
	case r.cfg.AllowAnonymous:
		id.Source = SourceAnonymous
	default:
		return nil, gwerror.Wrap(gwerror.Unauthenticated, ErrNoCredential,
			`Missing API key: send it as "Authorization: Bearer sk-sluice-...".`)
	}
	if id.Tenant != "" {
		id.TenantConfig = r.snap.Tenants[id.Tenant]
	}
	return id, nil
}

// credential finds a presented key: the bearer token of authorization (or
// its whole value for another scheme), else x-api-key (Anthropic SDKs),
// else api-key (Azure SDKs).
func credential(in Request) (cred string, bearer bool) {
	if auth := in.header("authorization"); auth != "" {
		scheme, token, _ := strings.Cut(auth, " ")
		if strings.EqualFold(scheme, "bearer") {
			return strings.TrimSpace(token), true
		}
		return auth, false
	}
	return sdkKey(in), false
}

// sdkKey is a key sent the way Anthropic (x-api-key) and Azure (api-key)
// SDKs send theirs.
func sdkKey(in Request) string {
	if k := in.header("x-api-key"); k != "" {
		return k
	}
	return in.header("api-key")
}

// fromKey authenticates a Sluice API key. Neither the key nor its hash
// ever reaches an error message; the public id may reach a log.
func (r *Resolver) fromKey(key string, id *Identity) error {
	keyID, ok := apikey.Parse(key)
	if !ok {
		return gwerror.Wrap(gwerror.Unauthenticated, ErrMalformedKey,
			`Invalid API key: Sluice API keys start with "sk-sluice-".`)
	}
	e := r.keys.Load().byID[keyID]
	if e == nil {
		return gwerror.Wrap(gwerror.Unauthenticated, fmt.Errorf("key %s: %w", keyID, ErrUnknownKey), "Invalid API key.")
	}
	// Constant time: how much of the digest matched does not show.
	if !e.digest.Matches(key) {
		return gwerror.Wrap(gwerror.Unauthenticated, fmt.Errorf("key %s: %w", keyID, ErrKeyMismatch), "Invalid API key.")
	}
	rec := e.rec
	id.Authenticated = true
	id.Source = SourceAPIKey
	id.Subject = e.subject
	id.Tenant, id.Team, id.App, id.User = rec.Tenant, rec.Team, rec.App, rec.Owner
	id.Roles = slices.Clone(rec.Roles)
	id.Labels = maps.Clone(rec.Labels)
	id.Key = &KeyInfo{
		ID: rec.ID, Name: rec.Name, Owner: rec.Owner, ExpiresAt: rec.ExpiresAt,
		Expired: !rec.ExpiresAt.IsZero() && !r.now().Before(rec.ExpiresAt),
		Labels:  maps.Clone(rec.Labels),
	}
	return nil
}

func (r *Resolver) fromJWT(id *Identity) {
	c := r.cfg.JWT
	id.Authenticated = true
	id.Source = SourceJWT
	id.Subject = claimString(id.JWT, c.SubjectClaim)
	id.Tenant = claimString(id.JWT, c.TenantClaim)
	id.Team = claimString(id.JWT, c.TeamClaim)
	id.User = claimString(id.JWT, c.UserClaim)
	id.Roles = claimList(id.JWT, c.RolesClaim)
}

func (r *Resolver) fromMTLS(id *Identity) {
	id.Authenticated = true
	id.Source = SourceMTLS
	id.Subject = id.Principal
	if p := r.cfg.MTLS.Pattern; p != nil {
		if f, ok := p.Match(id.Principal); ok {
			id.Tenant, id.Team, id.App = f.Tenant, f.Team, f.App
		}
	}
}

// fromHeaders trusts a front's headers. It needs a user or a tenant.
func (r *Resolver) fromHeaders(in Request, id *Identity) bool {
	h := r.cfg.TrustedHeaders
	tenant, user := in.header(h.Tenant), in.header(h.User)
	if tenant == "" && user == "" {
		return false
	}
	// Header values may alias the request's ext_proc message; identities
	// outlive it in usage records, so they keep copies.
	tenant, user = strings.Clone(tenant), strings.Clone(user)
	id.Authenticated = true
	id.Source = SourceHeader
	id.Subject = user
	id.Tenant, id.User = tenant, user
	id.Team = strings.Clone(in.header(h.Team))
	id.Roles = splitList(in.header(h.Roles))
	return true
}

// connection reads the peer and route attributes. Envoy's source.address
// is "ip:port"; the policy input has them apart.
func connection(c Connection, id *Identity) {
	id.Principal = c.PeerURISAN
	id.RouteName = c.RouteName
	addr := c.SourceAddress
	id.SourceAddress = addr
	// An address not forwarded is left alone: SplitHostPort would build
	// an error to say so.
	if addr != "" {
		if host, port, err := net.SplitHostPort(addr); err == nil {
			id.SourceAddress = host
			id.SourcePort, _ = strconv.Atoi(port) // a bad port leaves 0
		}
	}
	if c.HasSourcePort {
		id.SourcePort = int(c.SourcePort)
	}
}

// looksLikeJWT is true for three dot-separated base64url parts.
func looksLikeJWT(s string) bool {
	if strings.Count(s, ".") != 2 {
		return false
	}
	for part := range strings.SplitSeq(s, ".") {
		if part == "" || strings.IndexFunc(part, notBase64URL) >= 0 {
			return false
		}
	}
	return true
}

func notBase64URL(c rune) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '=':
		return false
	}
	return true
}
