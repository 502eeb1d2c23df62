// Package pipeline defines the per-request state (Exchange), the stage
// contract, and the one fixed order in which Sluice's stages run. The
// ext_proc layer feeds it Envoy's phases; stages never see Envoy types and
// never re-parse a body an earlier stage already parsed.
package pipeline

import (
	"context"
	"time"
	"unsafe"

	"google.golang.org/protobuf/types/known/structpb"

	"github.com/sluice-gw/sluice/pkg/config"
	"github.com/sluice-gw/sluice/pkg/identity"
	"github.com/sluice-gw/sluice/pkg/policy"
	"github.com/sluice-gw/sluice/pkg/translate"
)

// API is the inbound API a client called, identified from :method and :path.
type API int

// The inbound APIs Sluice serves.
const (
	APIUnknown    API = iota
	APIChat           // POST /v1/chat/completions
	APIEmbeddings     // POST /v1/embeddings
	APIModels         // GET /v1/models
	APIMessages       // POST /v1/messages (Anthropic-native clients)
	// APIPrompt is a template call, POST /v1/prompts/{name} or
	// /v1/prompts/{name}/versions/{v}. The prompt stage renders it into a
	// chat completion request, after which the exchange is APIChat.
	APIPrompt
	APIPrompts // GET /v1/prompts
)

func (a API) String() string {
	switch a {
	case APIChat:
		return "chat_completions"
	case APIEmbeddings:
		return "embeddings"
	case APIModels:
		return "models"
	case APIMessages:
		return "anthropic_messages"
	case APIPrompt:
		return "prompt"
	case APIPrompts:
		return "prompts"
	}
	return "unknown"
}

// Header is one header as Envoy sent it (key lower-cased).
type Header struct{ Key, Value string }

// Headers is a small ordered header list; linear lookup beats a map at the
// dozen or so headers a request carries.
type Headers []Header

// Get returns the first value of key (lower-case).
func (h Headers) Get(key string) string {
	for _, kv := range h {
		if kv.Key == key {
			return kv.Value
		}
	}
	return ""
}

// Exchange is everything Sluice knows about one request. One is created per
// ext_proc stream and dropped when the stream ends.
type Exchange struct {
	RequestID string
	Start     time.Time
	Config    *config.Snapshot // pinned for the request, so a reload never changes it mid-flight

	// Request side, from Envoy's request headers.
	Method, Path string
	Header       Headers
	// FilterMetadata is the metadata_context Envoy forwarded (for example
	// jwt_authn's verified payload); Conn is what Envoy's request
	// attributes say (source.address, the mTLS peer's URI SAN, the route
	// name).
	FilterMetadata map[string]*structpb.Struct
	Conn           identity.Connection

	API API
	// Request is the OpenAI-shaped request (Anthropic-native bodies are
	// converted when the provider is not Anthropic).
	Request translate.Request
	// Summary is what policy and later stages need to know about the
	// request body, read once by the parse stage.
	Summary Summary
	// Model is the public model name the client asked for.
	Model      string
	Route      *config.Model
	Target     translate.Target
	Translator translate.Translator
	// Native is true when the client's format is the provider's own
	// (Anthropic client to Anthropic backend): bodies pass through.
	Native bool
	// Identity is who is calling, once authenticated.
	Identity *identity.Identity
	// Decision is the policy decision, once made.
	Decision *policy.Decision
	// ModelAllowlist, when non-nil, is every model the caller may use;
	// GET /v1/models lists only these.
	ModelAllowlist []string
	// Budget is the caller's standing against its spending budgets, read
	// before the policy decides (input.usage.budget); nil when no budget
	// applies.
	Budget *BudgetStanding
	// Admission is what the admit stage charged for a model call; the
	// account stage settles it when the response ends. Nil for requests
	// that are not model calls.
	Admission *Admission
	// Tokens is the input-token count made for the policy's input, kept so
	// admission does not count the same body for the same model again.
	Tokens TokenCount
	// Prompt is the template and decorators behind the request.
	Prompt Prompt
	// Protect is what the data-protection stages found and did: PII and
	// secret findings, the injection score, pseudonyms to restore and the
	// canary to watch for in the output.
	Protect Protect
	// Plan is where policy wants the request to go; the zero value means
	// the requested model on its own backend.
	Plan Plan
	// Chain names the fallback chain (an Envoy aggregate cluster) serving
	// the request, when the plan has fallbacks that a chain covers.
	Chain string
	// Attempt is set on streams opened by the ext_proc filter in a
	// provider cluster's upstream filter chain: one stream per attempt,
	// naming the backend that attempt goes to.
	Attempt string

	// Out collects what the request phase sends back to Envoy.
	Out Mutation
	// Reply, when set by a stage, answers the client locally and skips the
	// provider (models list, later cache hits).
	Reply *Reply
	// ClientHeaders go on whatever answer the client gets: the provider's
	// response, a local reply or an error (the decision id, for one).
	ClientHeaders []Header

	// Response side.
	Status      int
	RespHeader  Headers
	ContentType string
	Streaming   bool
	Stream      translate.StreamTranslator
	Usage       translate.Usage

	// Outcome is how the exchange ended, for audit and telemetry.
	Outcome Outcome

	ends []func(context.Context)
	// endsBuf holds the AtEnd functions: with every feature on, eight
	// stages register one (telemetry, admission, audit, accounting, cache,
	// data protection, templates, guardrails), and growing ends from nil
	// would cost an allocation each time it doubles.
	endsBuf [8]func(context.Context)
}

// Outcome is how an exchange ended. The extproc layer fills the status,
// error code and times as it answers Envoy; the account stage fills the
// cost. AtEnd functions read it.
type Outcome struct {
	// Status is the HTTP status the client got: the provider's, or that of
	// Sluice's own reply or error.
	Status int
	// Error is the gwerror code when Sluice answered with an error, or
	// ended a stream with one; "" otherwise.
	Error string
	// FirstByte is when the first response body bytes were released to
	// the client: the time to first token of a stream.
	FirstByte time.Time
	// CostMicros is what the call cost in millionths of a US dollar;
	// Priced is false when no price was known.
	CostMicros int64
	Priced     bool
	// Usage is what the call was charged for: the provider's usage, or,
	// when it reported none, the count the account stage made (Estimated
	// set). Zero until the call is settled.
	Usage translate.Usage
	// Settled is set once the account stage charged the call.
	Settled bool
	// Cache is "hit" or "miss" when a response cache was consulted.
	Cache string
	// SavedMicros is what a cache hit would have cost at the provider.
	SavedMicros int64
}

// Prompt is the managed prompt behind a request: a template rendered into
// it, and the system-prompt decorators the policy applied. Usage, audit
// and telemetry record it.
type Prompt struct {
	// Template and Version name the template rendered, "" when none.
	Template string
	Version  string
	// Decorators name the decorators applied, in order.
	Decorators []string
}

// AtEnd registers fn to run once when the exchange ends, however it ends:
// a complete response, a local reply, an error, or Envoy or the client
// going away. Stages release what they hold for the request here.
func (x *Exchange) AtEnd(fn func(ctx context.Context)) {
	if x.ends == nil {
		x.ends = x.endsBuf[:0]
	}
	x.ends = append(x.ends, fn)
}

// End runs the AtEnd functions, the last registered first. The ext_proc
// layer calls it when the stream closes, with a context that is not
// cancelled with the stream.
func (x *Exchange) End(ctx context.Context) {
	for i := len(x.ends) - 1; i >= 0; i-- {
		x.ends[i](ctx)
	}
	clear(x.endsBuf[:]) // the functions hold the stages' request state
	x.ends = nil
}

// Protect is the data-protection state of one request. It holds the
// original values of pseudonymized entities, so it lives only as long as
// the exchange and is never logged.
type Protect struct {
	// Findings counts the request's PII and secret findings by entity type,
	// with the action taken on each type. Never values.
	Findings []FindingCount
	// Injection is the prompt-injection score of the request's text.
	Injection Injection
	// Pseudonyms maps each placeholder sent to the provider (<EMAIL_1>) to
	// the original value the client's response gets back. Nil when nothing
	// was pseudonymized.
	Pseudonyms map[string]string
	// Canary is the secret marker added to the system prompt; its
	// appearance in the output means the prompt leaked. "" when off.
	Canary string
	// Output counts what the output guardrails found and did, by type
	// (EMAIL_ADDRESS, banned_phrase, canary, json_schema, moderation).
	Output []FindingCount
	// Pending is the request scan the inspect stage hands to the redact
	// stage, which runs after the policy; nil when there is nothing to
	// redact. Only pkg/protect knows its type.
	Pending any
}

// FindingCount is how many entities of one type were found, and what was
// done about them: allow, log, mask, hash, pseudonymize, block.
type FindingCount struct {
	Type   string
	Action string
	Count  int
}

// Injection is a prompt-injection assessment.
type Injection struct {
	Score float64 // in [0, 1]
	// Verdict is "injection" or "benign" at the configured threshold; ""
	// when the detector did not run.
	Verdict string
	// Signals name the heuristics that fired (override_phrase, base64,
	// zero_width, ...), for policies and audit.
	Signals []string
}

// BudgetStanding is what the budgets that apply to a caller have left.
type BudgetStanding struct {
	// RemainingFraction is the smallest share of its limit any applicable
	// budget has left, from 0 to 1.
	RemainingFraction float64
	// Exceeded lists the exhausted budgets, with what each asks for.
	Exceeded []ExceededBudget
	// Err is set when the budgets could not be read; the admit stage fails
	// closed or open on it, after the policy has decided.
	Err error
}

// ExceededBudget is one exhausted budget.
type ExceededBudget struct {
	Name  string
	Scope string // "tenant:acme"
	// Action is block, downgrade or alert.
	Action string
	// Until is when the budget's period ends.
	Until time.Time
}

// TokenCount is an input-token estimate and what it was made from.
type TokenCount struct {
	Tokens int64
	// Upstream is the provider's model name it was counted for.
	Upstream string
	// BodyHash identifies the body counted; zero when nothing was.
	BodyHash uint64
}

// Admission is a model call's claim on the caller's limits.
type Admission struct {
	// Ticket corrects the limits' charge when the call ends.
	Ticket Ticket
	// LocalTicket is set when the ticket is held by this process's
	// memory, where settling it never waits: it needs no deadline, even
	// if a reload has moved limits to Redis since.
	LocalTicket bool
	// Estimate is what admission charged: the estimated input and the
	// output allowance (max_tokens, or the configured default).
	Estimate translate.Usage
	// Settled is set once the call has been accounted for.
	Settled bool
	// Sent is what a streamed response has released to the client so far,
	// in the client's format, up to a cap: a stream cut before the provider
	// reports usage is charged for the output the client got.
	Sent []byte
	// SentOver counts the released bytes beyond the cap.
	SentOver int
}

// Ticket is an admitted call's hold on its limits (a limits.Ticket). The
// first Settle or Release ends it; later calls do nothing.
type Ticket interface {
	// Settle charges the actual usage instead of the estimate.
	Settle(ctx context.Context, actualInput, actualOutput int64) error
	// Release keeps the estimate as the charge.
	Release(ctx context.Context) error
}

// Summary describes a request body without holding it parsed.
type Summary struct {
	MaxTokens    int
	MessageCount int
	Images       int
	ToolNames    []string
	// Parameters holds the scalar sampling parameters present, and the
	// response_format type.
	Parameters map[string]any
	// LastUserMessage is the text of the last user message, cut to
	// LastUserMessageMax bytes on a rune boundary.
	LastUserMessage string
}

// SameBytes reports whether a is b: the same memory and length. A stage
// that changed nothing hands back the bytes it was given, and Envoy then
// keeps what it holds instead of being sent a copy.
func SameBytes(a, b []byte) bool {
	return len(a) == len(b) && len(a) > 0 && unsafe.SliceData(a) == unsafe.SliceData(b) //nolint:gosec // compares addresses only
}

// LastUserMessageMax bounds the excerpt policies see.
const LastUserMessageMax = 1024

// Plan is a routing decision.
type Plan struct {
	Model    string   // public model to serve instead of the requested one
	Backend  string   // backend to serve it from instead of the model's own
	Fallback []Target // tried in order when the first answers 429, 5xx or times out
}

// Target is one model (and optionally backend) a plan may use.
type Target struct{ Model, Backend string }

// Mutation is what a phase asks Envoy to change.
type Mutation struct {
	SetHeaders    []Header
	RemoveHeaders []string
	// Body replaces the body when ReplaceBody is set.
	Body        []byte
	ReplaceBody bool
	// ClearRouteCache makes Envoy re-match the route after the header
	// mutation (how x-sluice-backend picks the provider cluster).
	ClearRouteCache bool
	// StreamBody switches the response body to STREAMED (SSE).
	StreamBody bool
	// Metadata is published as Envoy dynamic metadata in the namespace
	// MetadataNamespace, for access logs, rate limits and later filters:
	// one entry per key, set with SetMetadata. A phase sets a handful, so
	// a slice does the job of a map without its allocations.
	Metadata []Header
}

// MetadataNamespace is the dynamic metadata namespace Sluice writes; Envoy
// keeps it only when metadata_options.receiving_namespaces lists it.
const MetadataNamespace = "sluice"

// SetMetadata records one dynamic metadata value, replacing the value
// an earlier call set for k.
func (m *Mutation) SetMetadata(k, v string) {
	for i := range m.Metadata {
		if m.Metadata[i].Key == k {
			m.Metadata[i].Value = v
			return
		}
	}
	if m.Metadata == nil {
		m.Metadata = make([]Header, 0, 8)
	}
	m.Metadata = append(m.Metadata, Header{k, v})
}

// MetadataValue returns the dynamic metadata value set for k.
func (m *Mutation) MetadataValue(k string) (string, bool) {
	for _, h := range m.Metadata {
		if h.Key == k {
			return h.Value, true
		}
	}
	return "", false
}

// Reset empties m for the next phase, keeping the room of its slices: a
// request sets headers and metadata in three phases, and once Envoy has
// been answered nothing refers to them.
func (m *Mutation) Reset() {
	clear(m.SetHeaders)
	clear(m.RemoveHeaders)
	clear(m.Metadata)
	*m = Mutation{SetHeaders: m.SetHeaders[:0], RemoveHeaders: m.RemoveHeaders[:0], Metadata: m.Metadata[:0]}
}

// ResetMetadata empties m's metadata, keeping its room.
func (m *Mutation) ResetMetadata() {
	clear(m.Metadata)
	m.Metadata = m.Metadata[:0]
}

// Set appends a header to set.
func (m *Mutation) Set(k, v string) {
	if m.SetHeaders == nil {
		// A phase sets a handful; growing from one would reallocate
		// three times.
		m.SetHeaders = make([]Header, 0, 6)
	}
	m.SetHeaders = append(m.SetHeaders, Header{k, v})
}

// Remove appends a header to remove.
func (m *Mutation) Remove(k string) { m.RemoveHeaders = append(m.RemoveHeaders, k) }

// Reply is a locally generated response.
type Reply struct {
	Status  int
	Headers []Header
	Body    []byte
}
