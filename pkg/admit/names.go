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

type scopeName struct {
	rule  *config.LimitRule // rules are never modified once loaded
	value string
}

// teamPath is tenant + "/" + team.
func teamPath(tenant, team string) string {
	return teamNames.Get([2]string{tenant, team}, func(k [2]string) string { return k[0] + "/" + k[1] })
}

// scopeOf is the counter name of rule r for the caller's value v:
// "<rule name>/<scope>:<value>".
func scopeOf(r *config.LimitRule, v string) string {
	return scopeNames.Get(scopeName{r, v}, scopeName.build)
}

func (k scopeName) build() string { return k.rule.Name + "/" + string(k.rule.Scope) + ":" + k.value }
