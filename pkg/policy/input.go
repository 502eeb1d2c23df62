package policy

import (
	"time"
	"unicode/utf8"
)

// InputVersion is input.version; fields are only ever added within a version.
const InputVersion = "sluice.policy/v1"

// MaxLastUserMessage bounds input.request.last_user_message, in bytes.
const MaxLastUserMessage = 1024

// Input is the document a policy sees as `input`. Its shape is the contract
// in docs/policy-reference.md; each field carries the JSON name it has there.
type Input struct {
	Identity  Identity
	Request   Request
	Source    Source
	RouteName string // route_name
	Findings  Findings
	// Usage is current usage against limits and budgets; nil is {}.
	Usage map[string]any
	// Time is the evaluation time; Options.Now() when zero.
	Time time.Time
}

// Identity is input.identity: who is calling.
type Identity struct {
	Authenticated bool
	// Source is api_key, jwt, mtls, header or anonymous.
	Source  string
	Subject string
	Tenant  string
	Team    string
	App     string
	User    string
	Roles   []string
	Labels  map[string]string
	// Key is present for api_key callers only.
	Key *Key
	// JWT is the verified payload Envoy's jwt_authn forwarded; nil when none.
	JWT map[string]any
	// Principal is the mTLS peer's URI SAN.
	Principal string
}

// Key is input.identity.key. It never holds the secret or its hash.
type Key struct {
	ID        string
	Name      string
	Owner     string
	ExpiresAt time.Time // expires_at; "" when zero
	Expired   bool
	Labels    map[string]string
}

// Request is input.request: the call being made.
type Request struct {
	ID             string
	API            string // chat_completions, embeddings, anthropic_messages, models or prompt
	Method         string
	Path           string
	Model          string // canonical public name
	ModelRequested string // model_requested: what the client sent
	Stream         bool
	MaxTokens      int
	// Parameters are the scalar sampling parameters present in the request
	// and the response_format type: strings, bools and numbers.
	Parameters          map[string]any
	InputTokensEstimate int
	MessageCount        int
	Tools               Tools
	Images              int
	// LastUserMessage is cut to MaxLastUserMessage bytes, on a rune boundary.
	LastUserMessage string
	// Template is the prompt template rendered into the request; empty
	// names when none was.
	Template Template
}

// Template is input.request.template.
type Template struct {
	Name    string
	Version string
}

// Tools is input.request.tools.
type Tools struct {
	Present bool
	Count   int
	Names   []string
}

// Source is input.source: the client address as Envoy saw it.
type Source struct {
	Address string
	Port    int
}

// Findings is input.findings: what earlier stages found in the request.
type Findings struct {
	PII       PII
	Injection Injection
}

// PII is input.findings.pii: entity types and their total count, never values.
type PII struct {
	Types []string
	Count int
}

// Injection is input.findings.injection.
type Injection struct {
	Score float64 // in [0, 1]
	// Verdict is "injection" or "benign" at the configured threshold; ""
	// when no detector ran.
	Verdict string
	// Signals name the heuristics that fired, such as override_phrase.
	Signals []string
}

// truncateUTF8 cuts s to at most n bytes without splitting a rune.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i]
}
