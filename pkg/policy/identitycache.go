package policy

import (
	"maps"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/open-policy-agent/opa/v1/ast"
)

// identities keeps input.identity terms from one request to the next. An
// API key's caller is the same identity on every request it makes, so the
// term, a dozen fields and two nested objects, is built once per key and
// state. A cached term is only used for an Identity equal in every field
// to the one it was built from; identities with JWT claims are not kept.
type identities struct {
	m  sync.Map // Key.ID -> *cachedIdentity
	mu sync.Mutex
	// size counts entries, written under mu; past maxIdentities nothing
	// is added.
	size atomic.Int64
}

// maxIdentities bounds the cache at a few megabytes: an entry holds its
// term, built in a block of terms of its own, and copies of its fields.
const maxIdentities = 2048

type cachedIdentity struct {
	id   Identity
	key  Key
	term *ast.Term
}

// cacheable reports whether an identity may be kept: an API key's,
// without JWT claims.
func cacheable(id *Identity) bool { return id.Key != nil && len(id.JWT) == 0 }

func (c *identities) get(id *Identity) *ast.Term {
	if !cacheable(id) {
		return nil
	}
	v, ok := c.m.Load(id.Key.ID)
	if !ok {
		return nil
	}
	e := v.(*cachedIdentity)
	if !sameIdentity(&e.id, &e.key, id) {
		return nil
	}
	return e.term
}

func (c *identities) put(id *Identity, t *ast.Term) {
	if !cacheable(id) {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.full() {
		return
	}
	// The entry keeps its own copies: the caller's slices and maps may be
	// reused for another request.
	e := &cachedIdentity{id: *id, key: *id.Key, term: t}
	e.id.Roles = slices.Clone(id.Roles)
	e.id.Labels = maps.Clone(id.Labels)
	e.key.Labels = maps.Clone(id.Key.Labels)
	e.id.Key, e.id.JWT = nil, nil
	if _, loaded := c.m.Swap(id.Key.ID, e); !loaded {
		c.size.Add(1)
	}
}

// full reports whether put would refuse every identity.
func (c *identities) full() bool { return c.size.Load() >= maxIdentities }

func sameIdentity(have *Identity, haveKey *Key, id *Identity) bool {
	k := id.Key
	return have.Authenticated == id.Authenticated && have.Source == id.Source && have.Subject == id.Subject &&
		have.Tenant == id.Tenant && have.Team == id.Team && have.App == id.App && have.User == id.User &&
		have.Principal == id.Principal && slices.Equal(have.Roles, id.Roles) && maps.Equal(have.Labels, id.Labels) &&
		haveKey.ID == k.ID && haveKey.Name == k.Name && haveKey.Owner == k.Owner &&
		haveKey.ExpiresAt.Equal(k.ExpiresAt) && haveKey.Expired == k.Expired && maps.Equal(haveKey.Labels, k.Labels)
}
