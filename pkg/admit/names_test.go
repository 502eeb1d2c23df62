package admit

import (
	"fmt"
	"testing"

	"github.com/sluice-gw/sluice/pkg/config"
)

func TestNameCache(t *testing.T) {
	c := &nameCache{teams: map[[2]string]string{}, scopes: map[scopeName]string{}}
	r := &config.LimitRule{Name: "per-team", Scope: config.ScopeTeam}
	for round := range 2 { // built, then from the cache
		for i := range maxNames + 10 { // past the bound: cleared and rebuilt
			v := fmt.Sprintf("acme/t%d", i)
			if got, want := c.scope(r, v), "per-team/team:"+v; got != want {
				t.Fatalf("round %d: scope = %q, want %q", round, got, want)
			}
			if got, want := c.team("acme", fmt.Sprint(i)), fmt.Sprintf("acme/%d", i); got != want {
				t.Fatalf("round %d: team = %q, want %q", round, got, want)
			}
		}
		if len(c.scopes) > maxNames || len(c.teams) > maxNames {
			t.Fatalf("cache holds %d scopes and %d teams, over %d", len(c.scopes), len(c.teams), maxNames)
		}
	}
}
