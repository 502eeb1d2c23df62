package config

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	configv1 "github.com/sluice-gw/sluice/api/sluice/config/v1"
	"github.com/sluice-gw/sluice/pkg/translate"
)

// LoadOptions controls how much of the outside world a load touches.
type LoadOptions struct {
	// ResolveSecrets reads backend credentials from the environment and
	// files, and the API key records of identity.api_keys_file. A
	// credential that cannot be read does not fail the load: its backend is
	// marked Unavailable and the reason is added to Snapshot.Warnings, so
	// Sluice serves every backend it can. An unreadable keys file is a
	// warning too (its keys are not accepted until it can be read); a keys
	// file that is invalid fails the load.
	ResolveSecrets bool
	// RequireSecrets makes an unreadable credential a load error instead.
	// It implies ResolveSecrets.
	RequireSecrets bool
	// LookupEnv replaces os.LookupEnv when set.
	LookupEnv func(key string) (string, bool)
}

// Load reads, decodes and validates the config file at path.
func Load(path string, opts LoadOptions) (*Snapshot, error) {
	src, err := os.ReadFile(filepath.Clean(path))
	if err != nil {
		return nil, fmt.Errorf("reading config: %w", err)
	}
	return Parse(path, src, opts)
}

// Parse decodes and validates config source. name labels errors and is the
// directory relative credential files are read from, as for a file at name.
// The error, if any, joins every problem found, each an *Error.
func Parse(name string, src []byte, opts LoadOptions) (*Snapshot, error) {
	p := newProblems(name)
	cfg := decode(src, p)
	if err := p.err(); err != nil {
		return nil, err
	}
	// Validation only runs on a cleanly decoded file: checking a half-built
	// config would repeat the decode errors as confusing follow-ons.
	validate(cfg, p)
	if err := p.err(); err != nil {
		return nil, err
	}
	applyDefaults(cfg)
	snap := build(cfg, src, p)
	dir := filepath.Dir(name)
	snap.Identity = buildIdentity(cfg.GetIdentity(), dir)
	buildTenants(cfg, snap)
	snap.Policy = buildPolicy(cfg.GetPolicy(), dir)
	snap.DataProtection = buildDataProtection(cfg.GetDataProtection())
	snap.Guardrails = buildGuardrails(cfg.GetGuardrails())
	snap.Audit = buildAudit(cfg.GetAudit())
	snap.Cache = buildCache(cfg)
	snap.Telemetry = buildTelemetry(cfg.GetTelemetry())
	snap.Templates = buildTemplates(cfg.GetTemplates(), dir)
	buildChains(cfg, snap)
	prices, err := buildPrices(cfg.GetPrices())
	if err != nil {
		return nil, err // validated already: only a broken built-in table gets here
	}
	snap.Prices = prices
	if opts.ResolveSecrets || opts.RequireSecrets {
		s := secrets{lookupEnv: opts.LookupEnv, dir: filepath.Dir(name)}
		if s.lookupEnv == nil {
			s.lookupEnv = os.LookupEnv
		}
		errs := resolveSecrets(snap, cfg, s, p)
		errs = append(errs, resolveTokens(snap, s, p)...)
		errs = append(errs, resolveHashKey(snap, s, p)...)
		errs = append(errs, resolveGuardrailsKey(snap, s, p)...)
		errs = append(errs, resolveAuditKey(snap, s, p)...)
		errs = append(errs, resolveCacheKey(snap, cfg, s, p)...)
		credErr, err := loadKeysFile(snap, p)
		if err != nil {
			return nil, err
		}
		if credErr != nil {
			errs = append(errs, credErr)
		}
		if opts.RequireSecrets && len(errs) > 0 {
			return nil, errors.Join(errs...)
		}
		for _, err := range errs {
			snap.Warnings = append(snap.Warnings, err.Error())
		}
	}
	return snap, nil
}

// Validate checks the config file at path for `sluice validate`. Credentials
// are resolved; an unreadable one is a warning, so a config can be checked
// on a machine without the production secrets, unless strict makes it an
// error.
func Validate(path string, strict bool) (warnings []string, err error) {
	snap, err := Load(path, LoadOptions{ResolveSecrets: true, RequireSecrets: strict})
	if err != nil {
		return nil, err
	}
	return snap.Warnings, nil
}

// build turns a validated, defaulted config into a Snapshot.
func build(cfg *configv1.Config, src []byte, p *problems) *Snapshot {
	s := &Snapshot{
		Proto:   cfg,
		Version: version(src),
		Server: Server{
			GRPCAddress:          cfg.GetServer().GetGrpcAddress(),
			AdminAddress:         cfg.GetServer().GetAdminAddress(),
			ShutdownGrace:        cfg.GetServer().GetShutdownGrace().AsDuration(),
			MaxRequestBodyBytes:  cfg.GetLimits().GetMaxRequestBodyBytes(),
			MaxResponseBodyBytes: cfg.GetLimits().GetMaxResponseBodyBytes(),
			AdminTokenEnv:        cfg.GetServer().GetAdminTokenEnv(),
		},
		Limits:        buildLimits(cfg.GetLimits()),
		State:         buildState(cfg.GetState()),
		Budgets:       buildBudgets(cfg),
		BudgetWebhook: buildWebhook(cfg.GetBudgetWebhook()),
		Backends:      make(map[string]*Backend, len(cfg.GetBackends())),
		Models:        make([]*Model, 0, len(cfg.GetModels())),
		byName:        map[string]*Model{},
	}
	for _, b := range cfg.GetBackends() {
		prov := translate.Provider(b.GetProvider())
		s.Backends[b.GetName()] = &Backend{
			Name:     b.GetName(),
			Provider: prov,
			Target: translate.Target{
				Provider:   prov,
				Backend:    b.GetName(),
				Host:       b.GetHost(),
				BasePath:   b.GetBasePath(),
				APIVersion: b.GetApiVersion(),
				Region:     b.GetRegion(),
			},
			Labels: b.GetLabels(),
		}
	}
	for _, m := range cfg.GetModels() {
		model := &Model{
			Name:          m.GetName(),
			Aliases:       m.GetAliases(),
			Backend:       s.Backends[m.GetBackend()],
			UpstreamModel: m.GetUpstreamModel(),
			Deployment:    m.GetDeployment(),
			OwnedBy:       m.GetOwnedBy(),
			Labels:        m.GetLabels(),
		}
		s.Models = append(s.Models, model)
		s.byName[model.Name] = model
		for _, a := range model.Aliases {
			s.byName[a] = model
		}
	}
	s.Warnings = unusedBackends(cfg, p)
	return s
}

// unusedBackends warns about backends no model routes to: harmless, but
// usually a model entry that was forgotten or misspelt.
func unusedBackends(cfg *configv1.Config, p *problems) []string {
	used := map[string]bool{}
	for _, m := range cfg.GetModels() {
		used[m.GetBackend()] = true
	}
	var warnings []string
	for i, b := range cfg.GetBackends() {
		if !used[b.GetName()] {
			path := index("backends", i)
			w := &Error{File: p.file, Line: p.line(path), Path: path, Msg: fmt.Sprintf("backend %q is not used by any model", b.GetName())}
			warnings = append(warnings, w.Error())
		}
	}
	return warnings
}

// version is the first 12 hex digits of the SHA-256 of the source: enough
// to tell configs apart in logs and /readyz, short enough to read.
func version(src []byte) string {
	sum := sha256.Sum256(src)
	return hex.EncodeToString(sum[:])[:12]
}
