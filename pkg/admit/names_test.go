package admit

import (
	"fmt"
	"testing"

	"github.com/sluice-gw/sluice/pkg/config"
	"github.com/sluice-gw/sluice/pkg/identity"
	"github.com/sluice-gw/sluice/pkg/pipeline"
)

// TestNames checks the kept names against what they are built from, past
// the bound of what is kept.
func TestNames(t *testing.T) {
	r := &config.LimitRule{Name: "per-team", Scope: config.ScopeTeam}
	for round := range 2 { // built, then kept
		for i := range maxNames + 10 {
			v := fmt.Sprintf("acme/t%d", i)
			if got, want := scopeOf(r, v), "per-team/team:"+v; got != want {
				t.Fatalf("round %d: scope = %q, want %q", round, got, want)
			}
			if got, want := teamPath("acme", fmt.Sprint(i)), fmt.Sprintf("acme/%d", i); got != want {
				t.Fatalf("round %d: team = %q, want %q", round, got, want)
			}
		}
	}
}

// TestScopeNamesOutliveRules checks that a rule loaded again (a new value
// with the same name and scope) finds the name kept for the old one: the
// kept names hold no rule, so a reload leaves none of the old config
// reachable from them.
func TestScopeNamesOutliveRules(t *testing.T) {
	before := scopeNames.Len()
	old := &config.LimitRule{Name: "reloaded", Scope: config.ScopeKey}
	reloaded := &config.LimitRule{Name: "reloaded", Scope: config.ScopeKey}
	if a, b := scopeOf(old, "k1"), scopeOf(reloaded, "k1"); a != b || a != "reloaded/key:k1" {
		t.Fatalf("names %q and %q", a, b)
	}
	if n := scopeNames.Len() - before; n != 1 && scopeNames.Len() != 1 {
		t.Errorf("%d names kept for one name, scope and value", n)
	}
}

func TestMemoScope(t *testing.T) {
	for _, tc := range []struct {
		id   *identity.Identity
		want string
	}{
		{nil, ""},
		{&identity.Identity{}, ""},
		{&identity.Identity{Tenant: "acme", User: "u", Key: &identity.KeyInfo{ID: "k"}}, "acme"},
	} {
		if got := memoScope(&pipeline.Exchange{Identity: tc.id}); got != tc.want {
			t.Errorf("memoScope(%+v) = %q, want %q", tc.id, got, tc.want)
		}
	}
}
