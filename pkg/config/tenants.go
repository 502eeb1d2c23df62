package config

import (
	configv1 "github.com/sluice-gw/sluice/api/sluice/config/v1"
)

// Tenant is an organisation callers belong to. Policies read tenants as
// data.sluice.tenants; Sluice itself only checks that key records name
// configured ones.
type Tenant struct {
	Name string
	// Models is the allowlist as model names (aliases resolved), in config
	// order without repeats. Empty means every model.
	Models []string
	Roles  []string
	Region string
	Labels map[string]string
	// Teams are the tenant's teams by name.
	Teams map[string]*Team
}

// Team is a group within a tenant.
type Team struct {
	Name string
	// Models narrows the tenant's allowlist, as model names. Empty means the
	// tenant's.
	Models []string
	Labels map[string]string
}

// FallbackChain is an Envoy aggregate cluster over backends, tried in
// order. Its Name is the x-sluice-backend value that selects it.
type FallbackChain struct {
	Name     string
	Backends []*Backend
}

func buildTenants(cfg *configv1.Config, s *Snapshot) {
	s.Tenants = make(map[string]*Tenant, len(cfg.GetTenants()))
	for _, t := range cfg.GetTenants() {
		tenant := &Tenant{
			Name:   t.GetName(),
			Models: s.modelNames(t.GetModels()),
			Roles:  t.GetRoles(),
			Region: t.GetRegion(),
			Labels: t.GetLabels(),
			Teams:  make(map[string]*Team, len(t.GetTeams())),
		}
		for _, team := range t.GetTeams() {
			tenant.Teams[team.GetName()] = &Team{
				Name:   team.GetName(),
				Models: s.modelNames(team.GetModels()),
				Labels: team.GetLabels(),
			}
		}
		s.Tenants[tenant.Name] = tenant
	}
}

// modelNames resolves names and aliases to model names, dropping repeats.
func (s *Snapshot) modelNames(list []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, name := range list {
		m, ok := s.byName[name]
		if ok && !seen[m.Name] {
			seen[m.Name] = true
			out = append(out, m.Name)
		}
	}
	return out
}

func buildChains(cfg *configv1.Config, s *Snapshot) {
	s.FallbackChains = make(map[string]*FallbackChain, len(cfg.GetFallbackChains()))
	for _, c := range cfg.GetFallbackChains() {
		chain := &FallbackChain{Name: c.GetName()}
		for _, b := range c.GetBackends() {
			chain.Backends = append(chain.Backends, s.Backends[b])
		}
		s.FallbackChains[chain.Name] = chain
	}
}
