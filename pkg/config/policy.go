package config

import (
	"net/url"
	"regexp"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"

	configv1 "github.com/sluice-gw/sluice/api/sluice/config/v1"
)

// PolicyMode says whether a deny stops the request.
type PolicyMode string

// The policy modes.
const (
	// PolicyEnforce obeys every decision.
	PolicyEnforce PolicyMode = "enforce"
	// PolicyDryRun logs every decision and lets denied requests through.
	PolicyDryRun PolicyMode = "dry_run"
)

// FailureMode says what a policy runtime error does to the request.
type FailureMode string

// The failure modes.
const (
	// FailClosed answers 503 policy_error.
	FailClosed FailureMode = "closed"
	// FailOpen lets the request go on, and is counted in a metric.
	FailOpen FailureMode = "open"
)

// Defaults of the policy settings.
const (
	DefaultPolicyQuery    = "data.sluice.decision"
	DefaultBundleMinDelay = 60 * time.Second
	DefaultBundleMaxDelay = 120 * time.Second
	DefaultPolicyMode     = PolicyEnforce
	DefaultEvaluator      = EvaluatorCompiled
	DefaultPolicyFailure  = FailClosed
	// DefaultDecisionMemoSize is how many decisions are remembered by
	// the input values they read.
	DefaultDecisionMemoSize = 4096
	// maxDecisionMemoSize bounds the memo: each entry holds a decision
	// and the values it read, a few hundred bytes to a few kilobytes.
	maxDecisionMemoSize = 1 << 20
)

// Evaluator is how the policy is evaluated.
type Evaluator string

// Evaluators.
const (
	// EvaluatorCompiled evaluates the plan OPA's planner compiles the
	// policy to.
	EvaluatorCompiled Evaluator = "compiled"
	// EvaluatorInterpreter evaluates with OPA's Rego interpreter.
	EvaluatorInterpreter Evaluator = "interpreter"
)

// Policy is the effective policy section.
type Policy struct {
	// Dir is the absolute path of the local policy directory, or "".
	Dir         string
	Query       string
	Mode        PolicyMode
	FailureMode FailureMode
	// Data is policy.data, for data.sluice.config. Never nil.
	Data map[string]any
	// Bundle is nil when policies come only from Dir.
	Bundle      *PolicyBundle
	DecisionLog DecisionLog
	Evaluator   Evaluator
	// DecisionMemoSize is how many decisions to remember; 0 is off.
	DecisionMemoSize int
}

// PolicyBundle is an OPA bundle to download.
type PolicyBundle struct {
	URL                string
	MinDelay, MaxDelay time.Duration
	// BearerTokenEnv names the variable holding the bearer token, or "".
	BearerTokenEnv string
}

// DecisionLog says where decisions are logged.
type DecisionLog struct {
	Enabled bool
	// Path is an absolute file path; "" means stdout.
	Path string
}

// policyQuery is a data reference OPA can evaluate as a query.
var policyQuery = regexp.MustCompile(`^data(\.[A-Za-z_][A-Za-z0-9_]*)+$`)

func validatePolicy(pol *configv1.Policy, p *problems) {
	if pol == nil {
		return
	}
	if pol.GetDir() == "" && pol.GetBundle() == nil {
		p.add("policy", "set dir, bundle or both: where the policies come from")
	}
	if q := pol.GetQuery(); q != "" && !policyQuery.MatchString(q) {
		p.add("policy.query", `invalid query %q: want a data reference such as %q`, q, DefaultPolicyQuery)
	}
	if m := PolicyMode(pol.GetMode()); m != "" && m != PolicyEnforce && m != PolicyDryRun {
		p.add("policy.mode", "unknown mode %q (want %s or %s)", m, PolicyEnforce, PolicyDryRun)
	}
	if f := FailureMode(pol.GetFailureMode()); f != "" && f != FailClosed && f != FailOpen {
		p.add("policy.failure_mode", "unknown failure mode %q (want %s or %s)", f, FailClosed, FailOpen)
	}
	if ev := Evaluator(pol.GetEvaluator()); ev != "" && ev != EvaluatorCompiled && ev != EvaluatorInterpreter {
		p.add("policy.evaluator", "unknown evaluator %q (want %s or %s)", ev, EvaluatorCompiled, EvaluatorInterpreter)
	}
	if n := pol.GetDecisionMemoSize(); n < 0 || n > maxDecisionMemoSize {
		p.add("policy.decision_memo_size", "must be between 0 (off) and %d, got %d", maxDecisionMemoSize, n)
	}
	validateBundle(pol.GetBundle(), p)
}

// validateBundle never echoes the URL: it might carry credentials.
func validateBundle(b *configv1.PolicyBundle, p *problems) {
	if b == nil {
		return
	}
	u, err := url.Parse(b.GetUrl())
	switch {
	case b.GetUrl() == "":
		p.add("policy.bundle.url", "is required")
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		p.add("policy.bundle.url", `want an http or https URL such as "https://bundles.example/sluice.tar.gz"`)
	case u.User != nil:
		p.add("policy.bundle.url", "must not carry credentials; name the token's environment variable in bearer_token_env")
	}
	minD := checkPositive(b.GetPolling().GetMinDelay(), "policy.bundle.polling.min_delay", p)
	maxD := checkPositive(b.GetPolling().GetMaxDelay(), "policy.bundle.polling.max_delay", p)
	if minD > 0 && maxD > 0 && maxD < minD {
		p.add("policy.bundle.polling.max_delay", "must not be less than min_delay (%s), got %s", minD, maxD)
	}
	checkEnvName(b.GetBearerTokenEnv(), "policy.bundle.bearer_token_env", p)
}

// checkPositive returns the duration when it is set and positive, else 0.
func checkPositive(d *durationpb.Duration, path string, p *problems) time.Duration {
	switch {
	case d == nil:
		return 0
	case d.CheckValid() != nil:
		p.add(path, "%v", d.CheckValid())
	case d.AsDuration() <= 0:
		p.add(path, "must be positive, got %s", d.AsDuration())
	default:
		return d.AsDuration()
	}
	return 0
}

func defaultPolicy(pol *configv1.Policy) {
	if pol == nil {
		return
	}
	pol.Query = orDefault(pol.Query, DefaultPolicyQuery)
	pol.Mode = orDefault(pol.Mode, string(DefaultPolicyMode))
	pol.FailureMode = orDefault(pol.FailureMode, string(DefaultPolicyFailure))
	pol.Evaluator = orDefault(pol.Evaluator, string(DefaultEvaluator))
	if pol.DecisionMemoSize == nil {
		n := int64(DefaultDecisionMemoSize)
		pol.DecisionMemoSize = &n
	}
	if pol.DecisionLog == nil {
		pol.DecisionLog = &configv1.DecisionLog{}
	}
	if b := pol.Bundle; b != nil {
		if b.Polling == nil {
			b.Polling = &configv1.BundlePolling{}
		}
		if b.Polling.MinDelay == nil {
			d := DefaultBundleMinDelay
			if m := b.Polling.MaxDelay; m != nil && m.AsDuration() < d {
				d = m.AsDuration()
			}
			b.Polling.MinDelay = durationpb.New(d)
		}
		if b.Polling.MaxDelay == nil {
			b.Polling.MaxDelay = durationpb.New(max(DefaultBundleMaxDelay, b.Polling.MinDelay.AsDuration()))
		}
	}
}

func buildPolicy(pol *configv1.Policy, dir string) *Policy {
	if pol == nil {
		return nil
	}
	out := &Policy{
		Dir:         absPath(dir, pol.GetDir()),
		Query:       pol.GetQuery(),
		Mode:        PolicyMode(pol.GetMode()),
		FailureMode: FailureMode(pol.GetFailureMode()),
		Evaluator:   Evaluator(pol.GetEvaluator()),
		Data:        pol.GetData().AsMap(),
		// Validated to lie in [0, maxDecisionMemoSize].
		DecisionMemoSize: int(pol.GetDecisionMemoSize()),
		DecisionLog: DecisionLog{
			Enabled: pol.GetDecisionLog().GetEnabled(),
			Path:    absPath(dir, pol.GetDecisionLog().GetPath()),
		},
	}
	if b := pol.GetBundle(); b != nil {
		out.Bundle = &PolicyBundle{
			URL:            b.GetUrl(),
			MinDelay:       b.GetPolling().GetMinDelay().AsDuration(),
			MaxDelay:       b.GetPolling().GetMaxDelay().AsDuration(),
			BearerTokenEnv: b.GetBearerTokenEnv(),
		}
	}
	return out
}
