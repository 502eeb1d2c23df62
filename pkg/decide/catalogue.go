package decide

import (
	"github.com/sluice-gw/sluice/pkg/config"
	"github.com/sluice-gw/sluice/pkg/policy"
)

// catalogue is the part of the config policies reason about, placed at
// data.sluice.tenants, models and backends.
func catalogue(snap *config.Snapshot) policy.Catalogue {
	c := policy.Catalogue{
		Tenants:  make(map[string]policy.Tenant, len(snap.Tenants)),
		Models:   make(map[string]policy.Model, len(snap.Models)),
		Backends: make(map[string]policy.Backend, len(snap.Backends)),
	}
	for name, t := range snap.Tenants {
		pt := policy.Tenant{Models: t.Models, Roles: t.Roles, Labels: t.Labels, Region: t.Region,
			Teams: make(map[string]policy.Team, len(t.Teams))}
		for tn, team := range t.Teams {
			pt.Teams[tn] = policy.Team{Models: team.Models, Labels: team.Labels}
		}
		c.Tenants[name] = pt
	}
	for _, m := range snap.Models {
		c.Models[m.Name] = policy.Model{Backend: m.Backend.Name, Provider: string(m.Backend.Provider),
			UpstreamModel: m.UpstreamModel, Aliases: m.Aliases, Labels: m.Labels}
	}
	for name, b := range snap.Backends {
		c.Backends[name] = policy.Backend{Provider: string(b.Provider), Labels: b.Labels}
	}
	return c
}
