package policy

import (
	"github.com/open-policy-agent/opa/v1/ast"
)

// Catalogue is the part of Sluice's configuration policies reason about. It
// is placed in OPA's store at data.sluice.tenants, data.sluice.models and
// data.sluice.backends, and replaced whenever the configuration reloads.
type Catalogue struct {
	Tenants  map[string]Tenant
	Models   map[string]Model // by canonical public name
	Backends map[string]Backend
}

// Tenant is data.sluice.tenants[<name>].
type Tenant struct {
	Models []string // allowlist; empty means all
	Roles  []string
	Labels map[string]string
	Region string
	Teams  map[string]Team
}

// Team is data.sluice.tenants[<name>].teams[<team>].
type Team struct {
	Models []string
	Labels map[string]string
}

// Model is data.sluice.models[<name>].
type Model struct {
	Backend       string
	Provider      string
	UpstreamModel string
	Aliases       []string
	Labels        map[string]string
}

// Backend is data.sluice.backends[<name>].
type Backend struct {
	Provider string
	Labels   map[string]string
}

var (
	kTenants, kModels, kBackends, kConfig = key("tenants"), key("models"), key("backends"), key("config")
	kRegion, kTeams, kBackend, kProvider  = key("region"), key("teams"), key("backend"), key("provider")
	kUpstreamModel, kAliases              = key("upstream_model"), key("aliases")
)

// catalogueAST is the catalogue in the form OPA's store holds it.
type catalogueAST struct {
	tenants, models, backends *ast.Term
	// strings are the terms of the names in the catalogue (tenants, teams,
	// roles, models, aliases, backends), for inputs to share.
	strings map[string]*ast.Term
}

func (c *Catalogue) toAST() catalogueAST {
	b := &builder{names: map[string]*ast.Term{}}
	name := func(s string) *ast.Term {
		t, ok := b.names[s]
		if !ok {
			t = ast.StringTerm(s)
			b.names[s] = t
		}
		return t
	}
	names := func(ss []string) *ast.Term {
		for _, s := range ss {
			name(s)
		}
		return b.strings(ss)
	}
	var out catalogueAST
	items := make([][2]*ast.Term, 0, len(c.Tenants))
	for tn, t := range c.Tenants {
		teams := make([][2]*ast.Term, 0, len(t.Teams))
		for team, tm := range t.Teams {
			teams = append(teams, ast.Item(name(team), ast.ObjectTerm(
				ast.Item(kModels, names(tm.Models)),
				ast.Item(kLabels, b.labels(tm.Labels)),
			)))
		}
		items = append(items, ast.Item(name(tn), ast.ObjectTerm(
			ast.Item(kModels, names(t.Models)),
			ast.Item(kRoles, names(t.Roles)),
			ast.Item(kLabels, b.labels(t.Labels)),
			ast.Item(kRegion, b.str(t.Region)),
			ast.Item(kTeams, ast.ObjectTerm(teams...)),
		)))
	}
	out.tenants = ast.ObjectTerm(items...)
	items = make([][2]*ast.Term, 0, len(c.Models))
	for mn, m := range c.Models {
		items = append(items, ast.Item(name(mn), ast.ObjectTerm(
			ast.Item(kBackend, name(m.Backend)),
			ast.Item(kProvider, b.str(m.Provider)),
			ast.Item(kUpstreamModel, b.str(m.UpstreamModel)),
			ast.Item(kAliases, names(m.Aliases)),
			ast.Item(kLabels, b.labels(m.Labels)),
		)))
	}
	out.models = ast.ObjectTerm(items...)
	items = make([][2]*ast.Term, 0, len(c.Backends))
	for bn, be := range c.Backends {
		items = append(items, ast.Item(name(bn), ast.ObjectTerm(
			ast.Item(kProvider, b.str(be.Provider)),
			ast.Item(kLabels, b.labels(be.Labels)),
		)))
	}
	out.backends = ast.ObjectTerm(items...)
	out.strings = b.names
	return out
}

// names is what a decision's route may name: the catalogue's backends, and
// its models by name or alias. A nil set accepts every name, so an engine
// without a catalogue (a test, `sluice validate`) does not reject routes.
type names struct {
	backends, models map[string]struct{}
}

func (c *Catalogue) names() names {
	var n names
	if len(c.Backends) > 0 {
		n.backends = make(map[string]struct{}, len(c.Backends))
		for name := range c.Backends {
			n.backends[name] = struct{}{}
		}
	}
	if len(c.Models) > 0 {
		n.models = make(map[string]struct{}, len(c.Models))
		for name, m := range c.Models {
			n.models[name] = struct{}{}
			for _, a := range m.Aliases {
				n.models[a] = struct{}{}
			}
		}
	}
	return n
}

func known(set map[string]struct{}, name string) bool {
	if set == nil {
		return true
	}
	_, ok := set[name]
	return ok
}
