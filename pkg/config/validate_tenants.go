package config

import (
	"regexp"

	configv1 "github.com/sluice-gw/sluice/api/sluice/config/v1"
)

// tenantName allows what IdPs put in claims (mixed case, dots) but nothing
// that needs quoting in a header, a metric label or a log line.
var tenantName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$`)

// canonicalModels maps every model name and alias to the model's name.
func canonicalModels(ms []*configv1.Model) map[string]string {
	out := map[string]string{}
	for _, m := range ms {
		if _, dup := out[m.GetName()]; !dup {
			out[m.GetName()] = m.GetName()
		}
		for _, a := range m.GetAliases() {
			if _, dup := out[a]; !dup {
				out[a] = m.GetName()
			}
		}
	}
	return out
}

// validateTenants checks tenants and their teams, and returns the tenants
// and teams that key records may name.
func validateTenants(ts []*configv1.Tenant, models map[string]string, p *problems) tenantTeams {
	if len(ts) == 0 {
		return nil
	}
	known := tenantTeams{}
	first := map[string]string{}
	for i, t := range ts {
		path := index("tenants", i)
		name := t.GetName()
		switch {
		case name == "":
			p.add(join(path, "name"), "is required")
		case !tenantName.MatchString(name):
			p.add(join(path, "name"), "invalid tenant name %q: letters, digits, '_', '.' and '-', at most 63", name)
		case first[name] != "":
			p.add(join(path, "name"), "duplicate tenant name %q (first defined at %s)", name, first[name])
		default:
			first[name] = path
			known[name] = map[string]bool{}
		}
		allowed := checkModelList(t.GetModels(), join(path, "models"), models, p)
		checkWords(t.GetRoles(), join(path, "roles"), "role", p)
		if r := t.GetRegion(); r != "" && !regionName.MatchString(r) {
			p.add(join(path, "region"), "invalid region %q: lower-case letters, digits and '-'", r)
		}
		checkLabels(t.GetLabels(), join(path, "labels"), p)
		teams := validateTeams(t, path, models, allowed, p)
		if known[name] != nil && first[name] == path {
			known[name] = teams
		}
	}
	return known
}

func validateTeams(t *configv1.Tenant, path string, models map[string]string, allowed map[string]bool, p *problems) map[string]bool {
	teams := map[string]bool{}
	first := map[string]string{}
	for j, team := range t.GetTeams() {
		tpath := index(join(path, "teams"), j)
		name := team.GetName()
		switch {
		case name == "":
			p.add(join(tpath, "name"), "is required")
		case !tenantName.MatchString(name):
			p.add(join(tpath, "name"), "invalid team name %q: letters, digits, '_', '.' and '-', at most 63", name)
		case first[name] != "":
			p.add(join(tpath, "name"), "duplicate team name %q in tenant %q (first defined at %s)", name, t.GetName(), first[name])
		default:
			first[name] = tpath
			teams[name] = true
		}
		checkModelList(team.GetModels(), join(tpath, "models"), models, p)
		if len(allowed) == 0 {
			continue
		}
		for k, m := range team.GetModels() {
			if c, ok := models[m]; ok && !allowed[c] {
				p.add(index(join(tpath, "models"), k), "model %q is not in the models of tenant %q", m, t.GetName())
			}
		}
	}
	return teams
}

// checkModelList checks that every entry names a configured model or alias
// and returns the set of canonical names listed.
func checkModelList(list []string, path string, models map[string]string, p *problems) map[string]bool {
	set := map[string]bool{}
	for i, m := range list {
		c, ok := models[m]
		if !ok {
			p.add(index(path, i), "unknown model %q", m)
			continue
		}
		set[c] = true
	}
	return set
}

// validateChains checks fallback chains: names that can travel as
// x-sluice-backend values without meaning a backend, over known backends.
func validateChains(chains []*configv1.FallbackChain, backends map[string]bool, p *problems) {
	first := map[string]string{}
	for i, c := range chains {
		path := index("fallback_chains", i)
		name := c.GetName()
		switch {
		case name == "":
			p.add(join(path, "name"), "is required")
		case !backendName.MatchString(name):
			p.add(join(path, "name"), "invalid chain name %q: use lower-case letters, digits, '_' and '-'", name)
		case backends[name]:
			p.add(join(path, "name"), "chain name %q is also a backend's name; both are x-sluice-backend values, so they must differ", name)
		case first[name] != "":
			p.add(join(path, "name"), "duplicate chain name %q (first defined at %s)", name, first[name])
		default:
			first[name] = path
		}
		if len(c.GetBackends()) < 2 {
			p.add(join(path, "backends"), "needs at least two backends, got %d", len(c.GetBackends()))
		}
		listed := map[string]int{}
		for j, b := range c.GetBackends() {
			bpath := index(join(path, "backends"), j)
			at, dup := listed[b]
			switch {
			case !backends[b]:
				p.add(bpath, "unknown backend %q", b)
			case dup:
				p.add(bpath, "backend %q is already listed at %s", b, index(join(path, "backends"), at))
			default:
				listed[b] = j
			}
		}
	}
}
