package admit

import (
	"sync"

	"github.com/sluice-gw/sluice/pkg/config"
)

// Admission names every caller's counters on every request: its team path
// and one scope per rule. The same few callers and rules come back again
// and again, so the names are kept rather than built (and allocated) each
// time. The cache is bounded: once full it starts again empty, and names
// are simply built anew.
type nameCache struct {
	mu     sync.RWMutex
	teams  map[[2]string]string
	scopes map[scopeName]string
}

type scopeName struct {
	rule  *config.LimitRule // rules are never modified once loaded
	value string
}

// maxNames bounds each map of the cache.
const maxNames = 4096

var names = &nameCache{teams: map[[2]string]string{}, scopes: map[scopeName]string{}}

// team is tenant + "/" + team.
func (c *nameCache) team(tenant, team string) string {
	k := [2]string{tenant, team}
	c.mu.RLock()
	v, ok := c.teams[k]
	c.mu.RUnlock()
	if ok {
		return v
	}
	v = tenant + "/" + team
	c.mu.Lock()
	if len(c.teams) >= maxNames {
		clear(c.teams)
	}
	c.teams[k] = v
	c.mu.Unlock()
	return v
}

// scope is the counter name of rule r for the caller's value v:
// "<rule name>/<scope>:<value>".
func (c *nameCache) scope(r *config.LimitRule, v string) string {
	k := scopeName{r, v}
	c.mu.RLock()
	s, ok := c.scopes[k]
	c.mu.RUnlock()
	if ok {
		return s
	}
	s = r.Name + "/" + string(r.Scope) + ":" + v
	c.mu.Lock()
	if len(c.scopes) >= maxNames {
		clear(c.scopes)
	}
	c.scopes[k] = s
	c.mu.Unlock()
	return s
}
