package e2e

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"google.golang.org/protobuf/types/known/structpb"

	"github.com/sluice-gw/sluice/pkg/envoystandin"
	"github.com/sluice-gw/sluice/pkg/identity/apikey"
)

// keyRecord is a Sluice API key and the record the config holds for it.
type keyRecord struct {
	key string // what the client sends; never written to the config

	ID, Hash                       string
	Name, Tenant, Team, App, Owner string
	Roles                          []string
	Labels                         map[string]string
	ExpiresAt                      string // RFC 3339, or empty
}

// newKey mints a key for rec, whose ID and Hash it fills in.
func newKey(t *testing.T, rec keyRecord) keyRecord {
	t.Helper()
	key, id, err := apikey.Generate()
	if err != nil {
		t.Fatal(err)
	}
	hash, err := apikey.Hash(key)
	if err != nil {
		t.Fatal(err)
	}
	rec.key, rec.ID, rec.Hash = key, id, hash
	return rec
}

func clientKeyRecord() keyRecord {
	return keyRecord{key: clientKey, ID: clientKeyID, Hash: clientKeyHash, Name: "e2e", Tenant: "e2e"}
}

// yaml is the record as identity.api_keys lists it.
func (k keyRecord) yaml() map[string]any {
	m := map[string]any{"id": k.ID, "hash": k.Hash}
	for name, v := range map[string]string{
		"name": k.Name, "tenant": k.Tenant, "team": k.Team, "app": k.App, "owner": k.Owner, "expires_at": k.ExpiresAt,
	} {
		if v != "" {
			m[name] = v
		}
	}
	if len(k.Roles) > 0 {
		m["roles"] = k.Roles
	}
	if len(k.Labels) > 0 {
		m["labels"] = k.Labels
	}
	return m
}

// bearer is the header that presents the key as OpenAI SDKs do.
func (k keyRecord) bearer() http.Header { return http.Header{"Authorization": {"Bearer " + k.key}} }

// What runs in front of ext_proc in a real deployment is played by the
// stand-in's Downstream hook (downstream below):
//
//   - Envoy's jwt_authn filter, with payload_in_metadata: a bearer JWT
//     whose signature is jwtSignature counts as verified, and its payload
//     goes to ext_proc under jwtNamespace, keyed by jwtPayloadKey. Any
//     other JWT is forwarded without metadata, as jwt_authn does with
//     allow_missing_or_failed.
//   - The TLS handshake: the stand-in has no TLS listener, so a test names
//     the client certificate's URI SAN in peerHeader, which the hook
//     removes and turns into the connection.uri_san_peer_certificate
//     attribute.
const (
	jwtNamespace  = "envoy.filters.http.jwt_authn"
	jwtPayloadKey = "jwt_payload"
	jwtSignature  = "e2e-verified-signature"
	peerHeader    = "X-E2e-Peer-Uri-San"
)

// signedJWT returns a JWT with claims that the jwt_authn stand-in
// accepts.
func signedJWT(t *testing.T, claims map[string]any) string {
	return jwtWith(t, claims, jwtSignature)
}

// forgedJWT returns a JWT with claims that the jwt_authn stand-in does not
// verify.
func forgedJWT(t *testing.T, claims map[string]any) string {
	return jwtWith(t, claims, "forged-signature")
}

func jwtWith(t *testing.T, claims map[string]any, signature string) string {
	t.Helper()
	enc := base64.RawURLEncoding
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	return enc.EncodeToString([]byte(`{"alg":"RS256","typ":"JWT"}`)) + "." +
		enc.EncodeToString(payload) + "." + enc.EncodeToString([]byte(signature))
}

// downstream is the stand-in's Downstream hook; see jwtNamespace.
func downstream(r *http.Request) envoystandin.DownstreamInfo {
	var d envoystandin.DownstreamInfo
	if san := r.Header.Get(peerHeader); san != "" {
		d.PeerURISAN = san
		r.Header.Del(peerHeader)
	}
	if payload := verifiedJWT(r.Header.Get("Authorization")); payload != nil {
		d.FilterMetadata = map[string]*structpb.Struct{jwtNamespace: {
			Fields: map[string]*structpb.Value{jwtPayloadKey: structpb.NewStructValue(payload)},
		}}
	}
	return d
}

// verifiedJWT returns the payload of a bearer JWT carrying jwtSignature,
// or nil.
func verifiedJWT(auth string) *structpb.Struct {
	token, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok {
		return nil
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil
	}
	enc := base64.RawURLEncoding
	if sig, err := enc.DecodeString(parts[2]); err != nil || string(sig) != jwtSignature {
		return nil
	}
	raw, err := enc.DecodeString(parts[1])
	if err != nil {
		return nil
	}
	var claims map[string]any
	if err := json.Unmarshal(raw, &claims); err != nil {
		return nil
	}
	s, err := structpb.NewStruct(claims)
	if err != nil {
		return nil
	}
	return s
}

// headers builds an http.Header from name/value pairs.
func headers(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	return h
}

// merge returns the union of hs; later values win.
func merge(hs ...http.Header) http.Header {
	out := http.Header{}
	for _, h := range hs {
		for k, vs := range h {
			out[k] = append([]string(nil), vs...)
		}
	}
	return out
}
