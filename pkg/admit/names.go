package admit

import (
	"github.com/sluice-gw/sluice/pkg/config"
	"github.com/sluice-gw/sluice/pkg/memo"
)

// Admission names every caller's counters on every request: its team path
// and one scope per rule. The same few callers and rules come back again
// and again, so the names are kept (see memo) rather than built each time.

// maxNames bounds each kind of name kept.
const maxNames = 4096

var (
	teamNames  = memo.New[[2]string, string](maxNames)
	scopeNames = memo.New[scopeName, string](maxNames)
)

// scopeName is what a counter name is built from. It holds the rule's
// name and scope, not the rule: a kept name must not keep a reloaded
// config's rules alive.
type scopeName struct {
	rule  string
	scope config.LimitScope
	value string
}

// teamPath is tenant + "/" + team.
func teamPath(tenant, team string) string {
	return teamNames.Get([2]string{tenant, team}, func(k [2]string) string { return k[0] + "/" + k[1] })
}

// scopeOf is the counter name of rule r for the caller's value v:
// "<rule name>/<scope>:<value>".
func scopeOf(r *config.LimitRule, v string) string {
	return scopeNames.Get(scopeName{r.Name, r.Scope, v}, scopeName.build)
}

func (k scopeName) build() string { return k.rule + "/" + string(k.scope) + ":" + k.value }
