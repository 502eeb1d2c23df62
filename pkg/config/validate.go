package config

import (
	"net"
	"strconv"
	"unicode"

	configv1 "github.com/sluice-gw/sluice/api/sluice/config/v1"
	"github.com/sluice-gw/sluice/pkg/translate"
)

// maxBodyLimit caps the body limits: Sluice buffers a whole body in memory
// and passes it through gRPC, so anything larger is a typo, not a plan.
const maxBodyLimit = 1 << 30

// validate checks a decoded config before defaults are applied, so that
// "missing" still means the user left it out. It reports every problem.
func validate(cfg *configv1.Config, p *problems) {
	validateServer(cfg.GetServer(), p)
	validateLimits(cfg.GetLimits(), p)
	if len(cfg.GetBackends()) == 0 {
		p.add("backends", "at least one backend is required")
	}
	providers := validateBackends(cfg.GetBackends(), p)
	if len(cfg.GetModels()) == 0 {
		p.add("models", "at least one model is required")
	}
	validateModels(cfg.GetModels(), providers, p)
	tenants := validateTenants(cfg.GetTenants(), canonicalModels(cfg.GetModels()), p)
	validateIdentity(cfg.GetIdentity(), tenants, p)
	validatePolicy(cfg.GetPolicy(), p)
	backends := map[string]bool{}
	for name := range providers {
		backends[name] = true
	}
	validateChains(cfg.GetFallbackChains(), backends, p)
	validateState(cfg.GetState(), p)
	validateBudgets(cfg, tenants, p)
	validatePrices(cfg.GetPrices(), p)
	validateDataProtection(cfg.GetDataProtection(), p)
	validateGuardrails(cfg.GetGuardrails(), p)
	validateAudit(cfg.GetAudit(), p)
	validateCache(cfg, p)
	validateTelemetry(cfg.GetTelemetry(), p)
	validateTemplates(cfg.GetTemplates(), p)
}

func validateServer(s *configv1.Server, p *problems) {
	checkAddress(s.GetGrpcAddress(), "server.grpc_address", p)
	checkAddress(s.GetAdminAddress(), "server.admin_address", p)
	checkEnvName(s.GetAdminTokenEnv(), "server.admin_token_env", p)
	grpc := orDefault(s.GetGrpcAddress(), DefaultGRPCAddress)
	if orDefault(s.GetAdminAddress(), DefaultAdminAddress) == grpc {
		p.add("server.admin_address", "must differ from grpc_address %q", grpc)
	}
	if g := s.GetShutdownGrace(); g != nil {
		if err := g.CheckValid(); err != nil {
			p.add("server.shutdown_grace", "%v", err)
		} else if g.AsDuration() < 0 {
			p.add("server.shutdown_grace", "must not be negative, got %s", g.AsDuration())
		}
	}
}

func checkAddress(addr, path string, p *problems) {
	if addr == "" {
		return
	}
	_, port, err := net.SplitHostPort(addr)
	if err == nil {
		_, err = strconv.ParseUint(port, 10, 16)
	}
	if err != nil {
		p.add(path, `want host:port such as ":50051", got %q`, addr)
	}
}

func validateLimits(l *configv1.Limits, p *problems) {
	if l == nil {
		return
	}
	limits := []struct {
		path string
		v    *int64
	}{
		{"limits.max_request_body_bytes", l.MaxRequestBodyBytes},
		{"limits.max_response_body_bytes", l.MaxResponseBodyBytes},
	}
	for _, lim := range limits {
		switch {
		case lim.v == nil:
		case *lim.v <= 0:
			p.add(lim.path, "must be positive, got %d", *lim.v)
		case *lim.v > maxBodyLimit:
			p.add(lim.path, "must be at most %d (1GiB), got %d", maxBodyLimit, *lim.v)
		}
	}
	validateLimitRules(l, p)
}

// validateModels checks references and that every name and alias is
// unique: a client's model string must resolve to exactly one model.
func validateModels(ms []*configv1.Model, backends map[string]translate.Provider, p *problems) {
	first := map[string]string{}
	claim := func(name, path string) {
		checkModelName(name, path, p)
		if name == "" {
			return
		}
		if at, dup := first[name]; dup {
			p.add(path, "duplicate model name %q (first defined at %s)", name, at)
			return
		}
		first[name] = path
	}
	for i, m := range ms {
		path := index("models", i)
		claim(m.GetName(), join(path, "name"))
		for j, a := range m.GetAliases() {
			claim(a, index(join(path, "aliases"), j))
		}
		prov, ok := backends[m.GetBackend()]
		switch {
		case m.GetBackend() == "":
			p.add(join(path, "backend"), "is required")
		case !ok:
			p.add(join(path, "backend"), "unknown backend %q", m.GetBackend())
		}
		if m.GetUpstreamModel() != "" {
			checkModelName(m.GetUpstreamModel(), join(path, "upstream_model"), p)
		}
		if m.GetDeployment() != "" && ok && prov != translate.AzureOpenAI {
			p.add(join(path, "deployment"), "is not used by provider %q", prov)
		}
		checkLabels(m.GetLabels(), join(path, "labels"), p)
	}
}

// checkModelName accepts the names providers use (they contain ".", ":",
// "/" and "@") but not whitespace or control characters, which are never
// intended and break header and log output.
func checkModelName(name, path string, p *problems) {
	if name == "" {
		p.add(path, "is required")
		return
	}
	if len(name) > 256 {
		p.add(path, "is longer than 256 bytes")
		return
	}
	for _, r := range name {
		if unicode.IsSpace(r) || !unicode.IsPrint(r) {
			p.add(path, "invalid model name %q: spaces and control characters are not allowed", name)
			return
		}
	}
}
