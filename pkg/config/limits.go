package config

import (
	"regexp"

	configv1 "github.com/sluice-gw/sluice/api/sluice/config/v1"
)

// LimitScope is what one limit rule keeps a counter for.
type LimitScope string

// The scopes a limit rule can have.
const (
	ScopeKey     LimitScope = "key"
	ScopeUser    LimitScope = "user"
	ScopeTeam    LimitScope = "team"
	ScopeTenant  LimitScope = "tenant"
	ScopeModel   LimitScope = "model"
	ScopeBackend LimitScope = "backend"
	ScopeGlobal  LimitScope = "global"
)

var limitScopes = []LimitScope{ScopeKey, ScopeUser, ScopeTeam, ScopeTenant, ScopeModel, ScopeBackend, ScopeGlobal}

// DefaultOutputTokens is the output charged at admission for a request
// with no max_tokens.
const DefaultOutputTokens = 1024

// maxPerMinute bounds every limit: far above any real quota, and small
// enough that sums of limits and charges never come near overflowing.
const maxPerMinute = 1 << 40

// limitClass is what a policy's limit_class may be matched against.
var limitClass = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$`)

// Limits are the rate and concurrency rules model calls are admitted by.
type Limits struct {
	// Rules in config order; empty means no limits.
	Rules []LimitRule
	// DefaultOutputTokens is the output estimate for requests without
	// max_tokens.
	DefaultOutputTokens int64
}

// LimitRule is one limit, kept per value of its scope.
type LimitRule struct {
	Name  string
	Scope LimitScope
	// Class, when set, makes this rule replace the class-less rules of the
	// same scope for requests whose policy decision has this limit_class.
	Class                 string
	RequestsPerMinute     int64
	TokensPerMinute       int64
	InputTokensPerMinute  int64
	OutputTokensPerMinute int64
	Concurrent            int64
}

// LimitsTokens reports whether the rule limits tokens in any way.
func (r *LimitRule) LimitsTokens() bool {
	return r.TokensPerMinute > 0 || r.InputTokensPerMinute > 0 || r.OutputTokensPerMinute > 0
}

func validateLimitRules(l *configv1.Limits, p *problems) {
	if d := l.DefaultOutputTokens; d != nil && (*d < 0 || *d > maxPerMinute) {
		p.add("limits.default_output_tokens", "want 0 to %d, got %d", int64(maxPerMinute), *d)
	}
	first := map[string]string{}
	for i, r := range l.GetRules() {
		path := index("limits.rules", i)
		switch name := r.GetName(); {
		case name == "":
			p.add(join(path, "name"), "is required")
		case !backendName.MatchString(name):
			p.add(join(path, "name"), "invalid rule name %q: use lower-case letters, digits, '_' and '-'", name)
		case first[name] != "":
			p.add(join(path, "name"), "duplicate rule name %q (first defined at %s)", name, first[name])
		default:
			first[name] = path
		}
		if !knownScope(LimitScope(r.GetScope())) {
			p.add(join(path, "scope"), "want one of key, user, team, tenant, model, backend, global, got %q", r.GetScope())
		}
		if c := r.GetClass(); c != "" && !limitClass.MatchString(c) {
			p.add(join(path, "class"), "invalid class %q: letters, digits, '_', '.' and '-', at most 63", c)
		}
		validateRuleLimits(r, path, p)
	}
}

func validateRuleLimits(r *configv1.LimitRule, path string, p *problems) {
	fields := []struct {
		name string
		v    int64
	}{
		{"requests_per_minute", r.GetRequestsPerMinute()},
		{"tokens_per_minute", r.GetTokensPerMinute()},
		{"input_tokens_per_minute", r.GetInputTokensPerMinute()},
		{"output_tokens_per_minute", r.GetOutputTokensPerMinute()},
		{"concurrent", r.GetConcurrent()},
	}
	limited := false
	for _, f := range fields {
		switch {
		case f.v < 0:
			p.add(join(path, f.name), "must not be negative, got %d", f.v)
		case f.v > maxPerMinute:
			p.add(join(path, f.name), "must be at most %d, got %d", int64(maxPerMinute), f.v)
		case f.v > 0:
			limited = true
		}
	}
	if !limited {
		p.add(path, "limits nothing: set requests_per_minute, tokens_per_minute, input_tokens_per_minute, output_tokens_per_minute or concurrent")
	}
}

func knownScope(s LimitScope) bool {
	for _, k := range limitScopes {
		if k == s {
			return true
		}
	}
	return false
}

func buildLimits(l *configv1.Limits) Limits {
	out := Limits{DefaultOutputTokens: DefaultOutputTokens}
	if d := l.DefaultOutputTokens; d != nil {
		out.DefaultOutputTokens = *d
	}
	for _, r := range l.GetRules() {
		out.Rules = append(out.Rules, LimitRule{
			Name:                  r.GetName(),
			Scope:                 LimitScope(r.GetScope()),
			Class:                 r.GetClass(),
			RequestsPerMinute:     r.GetRequestsPerMinute(),
			TokensPerMinute:       r.GetTokensPerMinute(),
			InputTokensPerMinute:  r.GetInputTokensPerMinute(),
			OutputTokensPerMinute: r.GetOutputTokensPerMinute(),
			Concurrent:            r.GetConcurrent(),
		})
	}
	return out
}
