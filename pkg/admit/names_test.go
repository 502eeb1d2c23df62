package admit

import (
	"fmt"
	"testing"

	"github.com/sluice-gw/sluice/pkg/config"
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
