package admit

import (
	"github.com/sluice-gw/sluice/pkg/budget"
	"github.com/sluice-gw/sluice/pkg/config"
	"github.com/sluice-gw/sluice/pkg/identity"
	"github.com/sluice-gw/sluice/pkg/limits"
	"github.com/sluice-gw/sluice/pkg/pipeline"
)

// Served is the model and backend a request goes to once the policy's plan
// is applied: what model and backend rules count it against.
type Served struct {
	// Model is the public model name (aliases resolved).
	Model string
	// Upstream is the provider's name for it.
	Upstream string
	// Backend is the backend's name; for a fallback chain, the first.
	Backend string
}

// ServedBy resolves the exchange's plan the way the route stage will.
func ServedBy(x *pipeline.Exchange) Served {
	name := x.Model
	if x.Plan.Model != "" {
		name = x.Plan.Model
	}
	m, ok := x.Config.Model(name)
	if !ok {
		return Served{Model: name, Upstream: name}
	}
	s := Served{Model: m.Name, Upstream: m.UpstreamModel, Backend: m.Backend.Name}
	if x.Plan.Backend != "" {
		s.Backend = x.Plan.Backend
	}
	return s
}

// Rules are the limits that apply to a request, one limits.Rule per
// configured rule whose scope the caller has a value for. A rule with a
// class applies when the decision's limit_class names it, and then
// replaces the rules without a class of the same scope. Each rule counts
// under "<rule name>/<scope>:<value>", so two rules never share counters.
func Rules(x *pipeline.Exchange, served Served) []limits.Rule {
	cfg := x.Config.Limits.Rules
	if len(cfg) == 0 {
		return nil
	}
	class := ""
	if x.Decision != nil {
		class = x.Decision.LimitClass
	}
	classed := map[config.LimitScope]bool{}
	for i := range cfg {
		if class != "" && cfg[i].Class == class {
			classed[cfg[i].Scope] = true
		}
	}
	out := make([]limits.Rule, 0, len(cfg))
	for i := range cfg {
		r := &cfg[i]
		if r.Class != class && (r.Class != "" || classed[r.Scope]) {
			continue
		}
		v, ok := scopeValue(r.Scope, x.Identity, served)
		if !ok {
			continue
		}
		out = append(out, limits.Rule{
			Scope:                 scopeOf(r, v),
			RequestsPerMinute:     r.RequestsPerMinute,
			TokensPerMinute:       r.TokensPerMinute,
			InputTokensPerMinute:  r.InputTokensPerMinute,
			OutputTokensPerMinute: r.OutputTokensPerMinute,
			MaxConcurrent:         r.Concurrent,
		})
	}
	return out
}

// scopeValue is the caller's value for a scope; false when it has none (an
// anonymous caller has no key), and then the rule does not apply.
func scopeValue(s config.LimitScope, id *identity.Identity, served Served) (string, bool) {
	var v string
	switch s {
	case config.ScopeGlobal:
		return "*", true
	case config.ScopeModel:
		v = served.Model
	case config.ScopeBackend:
		v = served.Backend
	case config.ScopeKey:
		if id != nil && id.Key != nil {
			v = id.Key.ID
		}
	case config.ScopeUser:
		if id != nil {
			v = id.User
		}
	case config.ScopeTeam:
		v = teamID(id)
	case config.ScopeTenant:
		if id != nil {
			v = id.Tenant
		}
	}
	return v, v != ""
}

// teamID names a team within its tenant, "acme/search", since team names
// are unique only within a tenant.
func teamID(id *identity.Identity) string {
	switch {
	case id == nil || id.Team == "":
		return ""
	case id.Tenant == "":
		return id.Team
	}
	return teamPath(id.Tenant, id.Team)
}

// BudgetScopes appends to dst the scopes a caller's spending is charged
// to: its tenant, team ("<tenant>/<team>"), key id and user, whichever it
// has. There are at most MaxBudgetScopes, so a caller's array of that
// size keeps them off the heap.
func BudgetScopes(dst []budget.Scope, id *identity.Identity) []budget.Scope {
	if id == nil {
		return dst
	}
	add := func(k budget.Kind, v string) {
		if v != "" {
			dst = append(dst, budget.Scope{Kind: k, ID: v})
		}
	}
	add(budget.Tenant, id.Tenant)
	add(budget.Team, teamID(id))
	if id.Key != nil {
		add(budget.Key, id.Key.ID)
	}
	add(budget.User, id.User)
	return dst
}

// MaxBudgetScopes is the most scopes BudgetScopes appends.
const MaxBudgetScopes = 4
