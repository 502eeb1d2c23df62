package policy

import (
	"testing"
	"time"
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
