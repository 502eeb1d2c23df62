package policy

import (
	"maps"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/sluice-gw/sluice/pkg/policyvm"
)

// TestIdentityCache checks that a kept input.identity is only reused for
// an identity equal in every field, and never for one with JWT claims.
func TestIdentityCache(t *testing.T) {
	base := func() *Identity {
		return &Identity{
			Authenticated: true, Source: "api_key", Subject: "key:k1", Tenant: "acme", Team: "search",
			Roles: []string{"developer"}, Labels: map[string]string{"env": "prod"},
			Key: &Key{ID: "k1", Name: "ci", ExpiresAt: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), Labels: map[string]string{"a": "b"}},
		}
	}
	ids := &identities{}
	b := &builder{ids: ids}
	first, err := b.identity(base())
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := b.identity(base()); again != first {
		t.Fatal("an equal identity was built again")
	}
	for _, tc := range []struct {
		name   string
		change func(*Identity)
	}{
		{"role", func(id *Identity) { id.Roles = []string{"admin"} }},
		{"team", func(id *Identity) { id.Team = "ads" }},
		{"label", func(id *Identity) { id.Labels["env"] = "dev" }},
		{"key expired", func(id *Identity) { id.Key.Expired = true }},
		{"key expiry", func(id *Identity) { id.Key.ExpiresAt = id.Key.ExpiresAt.Add(time.Hour) }},
		{"key label", func(id *Identity) { id.Key.Labels = nil }},
		{"jwt", func(id *Identity) { id.JWT = map[string]any{"sub": "x"} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id := base()
			tc.change(id)
			got, err := b.identity(id)
			if err != nil {
				t.Fatal(err)
			}
			if got == first {
				t.Fatal("a different identity got the kept term")
			}
			want, _ := id.toAST(&builder{})
			if got.Value.Compare(want.Value) != 0 {
				t.Fatalf("got %v, want %v", got, want)
			}
		})
	}
	// The kept copy does not change with the caller's slices and maps.
	id := base()
	if got, _ := b.identity(id); got.Value.Compare(first.Value) != 0 {
		t.Fatal("the kept term changed")
	}
	id.Roles[0] = "admin"
	if got, _ := b.identity(id); got == first {
		t.Fatal("a changed role reused the kept term")
	}
}

// TestIdentityCacheOwnsItsTerms checks that a kept input.identity holds no
// term from the block its request's input was built in: such a term would
// keep that request's prompt text, id and address alive with the cache.
func TestIdentityCacheOwnsItsTerms(t *testing.T) {
	in := &Input{
		Identity: Identity{
			Authenticated: true, Source: "api_key", Subject: "key:k1", Tenant: "acme", Team: "search", App: "bot", User: "ann",
			Roles: []string{"developer"}, Labels: map[string]string{"env": "prod"}, Principal: "spiffe://acme/bot",
			Key: &Key{ID: "k1", Name: "ci", Owner: "ann", ExpiresAt: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), Labels: map[string]string{"a": "b"}},
		},
		Request: Request{ID: "req-1", API: "chat_completions", Model: "gpt-x", LastUserMessage: "my card number is 4111 1111 1111 1111"},
		Source:  Source{Address: "203.0.113.7", Port: 51234},
	}
	timeTerm := newTimeTerm(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))

	// block stands for the request's block of terms; it is large enough
	// that the whole input is built in it.
	block := make([]ast.Term, 4*slabTerms)
	inBlock := make(map[*ast.Term]bool, len(block))
	for i := range block {
		inBlock[&block[i]] = true
	}
	ids := &identities{}
	input := func(b *builder) *ast.Term {
		t.Helper()
		v, err := in.toAST(b, timeTerm)
		if err != nil {
			t.Fatal(err)
		}
		return policyvm.Plain(v)
	}
	// taken counts the terms under x that come from block.
	taken := func(x *ast.Term) int {
		n := 0
		ast.WalkTerms(x, func(t *ast.Term) bool {
			if inBlock[t] {
				n++
			}
			return false
		})
		return n
	}

	// Without a cache the identity is built in the request's block: the
	// count below can see it.
	b := &builder{slab: block}
	v := input(b)
	identity := v.Get(ast.StringTerm("identity"))
	if taken(identity) == 0 {
		t.Fatal("an uncached identity took no terms from the request's block")
	}
	uncached := len(block) - len(b.slab)

	// A miss builds the kept identity apart from the request.
	clear(block)
	b = &builder{slab: block, ids: ids}
	v = input(b)
	kept := ids.get(&in.Identity)
	if kept == nil {
		t.Fatal("the identity was not kept")
	}
	if v.Get(ast.StringTerm("identity")) != policyvm.Plain(kept) {
		t.Fatal("the input does not carry the kept identity")
	}
	if n := taken(policyvm.Plain(kept)); n != 0 {
		t.Fatalf("the kept identity holds %d terms of the request's block", n)
	}
	if taken(v.Get(ast.StringTerm("request"))) == 0 || taken(v.Get(ast.StringTerm("source"))) == 0 {
		t.Fatal("the request's own terms were not built in its block")
	}
	miss := len(block) - len(b.slab)

	// A hit takes as many terms from the request's block as the miss did.
	b = &builder{slab: make([]ast.Term, len(block)), ids: ids}
	if input(b).Get(ast.StringTerm("identity")) != policyvm.Plain(kept) {
		t.Fatal("an equal identity was built again")
	}
	if hit := len(block) - len(b.slab); hit != miss || miss >= uncached {
		t.Fatalf("terms taken from the request's block: %d on a miss, %d on a hit, %d uncached", miss, hit, uncached)
	}
	// One block of terms holds such an input (slabTerms is sized so).
	if miss > slabTerms {
		t.Errorf("an input with a kept identity takes %d terms, more than a block's %d", miss, slabTerms)
	}

	// Once the cache is full nothing more is kept, and the identity is
	// built in the request's block rather than in one of its own.
	full := &identities{}
	full.size.Store(maxIdentities)
	b = &builder{slab: make([]ast.Term, len(block)), ids: full}
	input(b)
	if full.get(&in.Identity) != nil {
		t.Fatal("a full cache kept an identity")
	}
	if n := len(block) - len(b.slab); n != uncached {
		t.Errorf("a full cache's miss took %d terms from the request's block, want %d as uncached", n, uncached)
	}
}

// TestIdentityCacheComparesEveryField changes each field of Identity and
// of Key in turn, and checks that the kept term is not reused for it. A
// field added to either type fails here until sameIdentity compares it
// (and vary below knows how to change its type).
func TestIdentityCacheComparesEveryField(t *testing.T) {
	base := func() *Identity {
		return &Identity{
			Authenticated: true, Source: "api_key", Subject: "key:k1", Tenant: "acme", Team: "search", App: "bot", User: "ann",
			Roles: []string{"developer"}, Labels: map[string]string{"env": "prod"}, Principal: "spiffe://acme/bot",
			Key: &Key{ID: "k1", Name: "ci", Owner: "ann", ExpiresAt: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), Expired: false, Labels: map[string]string{"a": "b"}},
		}
	}
	check := func(t *testing.T, change func(*Identity)) {
		t.Helper()
		b := &builder{ids: &identities{}}
		first, err := b.identity(base())
		if err != nil {
			t.Fatal(err)
		}
		if again, _ := b.identity(base()); again != first {
			t.Fatal("an equal identity was built again")
		}
		id := base()
		change(id)
		if reflect.DeepEqual(id, base()) {
			t.Fatal("the field did not change")
		}
		if got, _ := b.identity(id); got == first {
			t.Fatal("an identity differing in this field got the kept term")
		}
	}
	vary := func(t *testing.T, f reflect.Value, name string) {
		t.Helper()
		switch v := f.Addr().Interface().(type) {
		case *string:
			*v += "-changed"
		case *bool:
			*v = !*v
		case *[]string:
			*v = append(slices.Clone(*v), "changed")
		case *map[string]string:
			m := maps.Clone(*v)
			if m == nil {
				m = map[string]string{}
			}
			m["changed"] = "yes"
			*v = m
		case *time.Time:
			*v = v.Add(time.Second)
		default:
			t.Fatalf("field %s of type %s: teach this test to change it, and sameIdentity to compare it", name, f.Type())
		}
	}

	idType := reflect.TypeFor[Identity]()
	for i := range idType.NumField() {
		field := idType.Field(i)
		switch field.Name {
		case "Key":
			// Compared field by field below; without a key nothing is kept.
			continue
		case "JWT":
			// An identity with claims is never kept, so the claims need
			// not be compared.
			t.Run(field.Name, func(t *testing.T) {
				check(t, func(id *Identity) { id.JWT = map[string]any{"sub": "x"} })
			})
			continue
		}
		t.Run(field.Name, func(t *testing.T) {
			if !field.IsExported() {
				t.Fatalf("unexported field %s: decide whether sameIdentity compares it", field.Name)
			}
			check(t, func(id *Identity) { vary(t, reflect.ValueOf(id).Elem().Field(i), field.Name) })
		})
	}
	t.Run("Key=nil", func(t *testing.T) { check(t, func(id *Identity) { id.Key = nil }) })
	keyType := reflect.TypeFor[Key]()
	for i := range keyType.NumField() {
		field := keyType.Field(i)
		t.Run("Key."+field.Name, func(t *testing.T) {
			if !field.IsExported() {
				t.Fatalf("unexported field Key.%s: decide whether sameIdentity compares it", field.Name)
			}
			check(t, func(id *Identity) { vary(t, reflect.ValueOf(id.Key).Elem().Field(i), "Key."+field.Name) })
		})
	}
}
