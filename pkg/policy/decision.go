package policy

import "errors"

// Decision is the policy's answer for one request, checked against the
// decision document in docs/policy-reference.md.
type Decision struct {
	Allow bool
	// Status is the HTTP status of a deny: 401, 403 or 429 from the policy,
	// or 503 when the policy failed (ErrPolicy). Zero when the policy allowed.
	Status int
	// Reason is the client-facing message of a deny.
	Reason string
	// Reasons are rule identifiers for the decision log and audit trail.
	Reasons    []string
	Route      Route
	Headers    Headers
	Overrides  Overrides
	LimitClass string
	// Audit is the audit detail level: "", minimal, standard or full.
	Audit string
	// Models are, for GET /v1/models, the models this caller may see.
	Models []string
	// Prompt is decision.prompt: what to do to the request's prompt.
	Prompt Prompt
	// DecisionID names this evaluation in the decision log, the audit record
	// and the x-sluice-decision-id response header.
	DecisionID string
	// DryRunDenied is set in DryRun mode when the policy denied: Allow is
	// true, and Status and Reason say what would have happened.
	DryRunDenied bool
	// FailedOpen is set when the policy failed at runtime and FailOpen let
	// the request through.
	FailedOpen bool
	// Remembered is set when the decision was not evaluated but taken
	// from an earlier request that agreed with this one on everything
	// the policy read (see Options.MemoSize).
	Remembered bool
}

// Route is decision.route. Every field is optional.
type Route struct {
	// Model serves this public model instead of the requested one.
	Model string
	// Backend serves the model from this backend instead of its own.
	Backend string
	// Split is a weighted choice among targets; every Weight is positive.
	Split []Target
	// Sticky keeps a caller on one split target: user, key, tenant, session,
	// or "" for per request.
	Sticky string
	// Fallback targets are tried in order when the chosen one fails.
	Fallback []Target
}

// Prompt is decision.prompt.
type Prompt struct {
	// Decorators name the configured system-prompt decorators to apply,
	// in order.
	Decorators []string
}

// Target is one entry of route.split or route.fallback.
type Target struct {
	Model   string
	Backend string // "" for the model's own backend
	Weight  int    // split only
}

// Headers are added to the provider request (Upstream) and to the client
// response (Downstream). Names are lower case and start with "x-".
type Headers struct {
	Upstream   map[string]string
	Downstream map[string]string
}

// Overrides change other stages' behaviour for this request.
type Overrides struct {
	// Redaction maps a PII entity type to allow, log, mask, hash,
	// pseudonymize or block.
	Redaction  map[string]string
	Guardrails map[string]string
}

// Errors an evaluation can wrap; compare with errors.Is.
var (
	// ErrPolicy is a runtime failure: the policy could not be evaluated.
	// Unless configured to fail open, the client sees 503 policy_error.
	ErrPolicy = errors.New("policy error")
	// ErrMalformed is a decision that breaks the decision document's
	// contract. It is enforced as a deny (403 policy_denied).
	ErrMalformed = errors.New("malformed policy decision")
)

// Client-facing reasons for denies the policy did not word itself.
const (
	reasonUndefined = "no policy decision"
	reasonMalformed = "invalid policy decision"
	reasonDenied    = "denied by policy"
	reasonError     = "policy error"
)

var (
	kAllow, kStatus, kReason, kReasons   = key("allow"), key("status"), key("reason"), key("reasons")
	kRoute, kHeaders, kOverrides         = key("route"), key("headers"), key("overrides")
	kLimitClass, kAudit, kSplit, kSticky = key("limit_class"), key("audit"), key("split"), key("sticky")
	kFallback, kWeight, kUpstream        = key("fallback"), key("weight"), key("upstream")
	kDownstream, kRedaction, kGuardrails = key("downstream"), key("redaction"), key("guardrails")
	kPrompt, kDecorators                 = key("prompt"), key("decorators")
)
