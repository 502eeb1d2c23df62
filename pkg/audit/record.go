package audit

import (
	"net"
	"strconv"
	"time"

	"github.com/sluice-gw/sluice/pkg/config"
	"github.com/sluice-gw/sluice/pkg/pipeline"
	"github.com/sluice-gw/sluice/pkg/route"
	"github.com/sluice-gw/sluice/pkg/translate"
)

// Record is what the audit trail says about one request. It refers to the
// exchange's strings and slices instead of copying them, and never to a
// body: building one costs the same whatever the request's size.
type Record struct {
	// Time is when Sluice received the request's headers.
	Time       time.Time
	Level      config.AuditLevel
	RequestID  string
	DecisionID string
	API        string
	Identity   Identity
	// Client is the downstream address Envoy reported.
	ClientAddress string
	ClientPort    int
	// Model is the public name the client asked for; Served and Upstream
	// are the public and provider names of the model that answered.
	Model, Served, Upstream string
	Backend                 string
	// Chain is the fallback chain serving the request; Attempts is how
	// many upstream attempts Envoy made, when it reported them.
	Chain    string
	Attempts int
	Decision Decision
	// Findings and Output count the PII, secret and guardrail findings of
	// the request and the response. Never values.
	Findings  []pipeline.FindingCount
	Output    []pipeline.FindingCount
	Injection pipeline.Injection
	Tokens    translate.Usage
	// CostMicros is the call's cost in millionths of a US dollar; Priced
	// is false when no price was known.
	CostMicros int64
	Priced     bool
	Latency    time.Duration
	// TTFT is the time to the first response byte; zero when none went out.
	TTFT   time.Duration
	Status int
	Error  string
	Cache  string
	// Template and TemplateVersion name the prompt template rendered.
	Template, TemplateVersion string
	// Decorators name the system-prompt decorators the policy applied.
	Decorators []string
	// Payload is the masked, capped request text (full level only).
	Payload          string
	PayloadTruncated bool
}

// Identity is who called, as far as Sluice knows it: key ids, never keys.
type Identity struct {
	Authenticated bool
	Source        string
	Subject       string
	KeyID         string
	KeyName       string
	User          string
	Team          string
	App           string
	Tenant        string
	Principal     string
}

// Decision is the policy decision.
type Decision struct {
	Made       bool // false when the request ended before the policy ran
	Allow      bool
	Status     int
	Reason     string
	Reasons    []string
	DryRun     bool
	FailedOpen bool
}

// FromExchange fills r from x as it stands when the exchange ends. level
// is the detail to record; the fields a level leaves out stay unset in r
// as well as out of the encoding.
func FromExchange(r *Record, x *pipeline.Exchange, level config.AuditLevel, now time.Time) {
	*r = Record{Time: x.Start, Level: level, RequestID: x.RequestID, API: x.API.String(), Model: x.Model}
	r.Latency = now.Sub(x.Start)
	if id := x.Identity; id != nil {
		r.Identity = Identity{
			Authenticated: id.Authenticated, Source: string(id.Source), Subject: id.Subject,
			User: id.User, Team: id.Team, App: id.App, Tenant: id.Tenant, Principal: id.Principal,
		}
		if id.Key != nil {
			r.Identity.KeyID, r.Identity.KeyName = id.Key.ID, id.Key.Name
		}
		r.ClientAddress, r.ClientPort = id.SourceAddress, id.SourcePort
	} else {
		// Authentication failed or never ran: the client is still known
		// from Envoy's attributes.
		addr := x.Conn.SourceAddress
		if host, port, err := net.SplitHostPort(addr); err == nil {
			r.ClientAddress, r.ClientPort = host, atoi(port)
		} else {
			r.ClientAddress = addr
		}
	}
	if d := x.Decision; d != nil {
		r.DecisionID = d.DecisionID
		r.Decision = Decision{Made: true, Allow: d.Allow, Status: d.Status, Reason: d.Reason,
			Reasons: d.Reasons, DryRun: d.DryRunDenied, FailedOpen: d.FailedOpen}
	}
	if x.Route != nil {
		r.Served = x.Route.Name
	}
	r.Upstream, r.Backend, r.Chain = x.Target.Model, x.Target.Backend, x.Chain
	if b := x.RespHeader.Get(route.ServedByHeader); b != "" {
		r.Backend = b
	}
	// Envoy sends the count only when asked to; Atoi would allocate an
	// error to say a missing one is not a number.
	if a := x.RespHeader.Get("x-envoy-attempt-count"); a != "" {
		if n, err := strconv.Atoi(a); err == nil {
			r.Attempts = n
		}
	}
	r.Status, r.Error = outcomeStatus(x), x.Outcome.Error
	if !x.Outcome.FirstByte.IsZero() {
		r.TTFT = x.Outcome.FirstByte.Sub(x.Start)
	}
	if level == config.AuditMinimal {
		r.Identity.User, r.Identity.Team, r.Identity.App, r.Identity.Principal, r.Identity.KeyName = "", "", "", "", ""
		r.ClientAddress, r.ClientPort = "", 0
		r.Decision.Reason, r.Decision.Reasons = "", nil
		return
	}
	r.Findings, r.Output, r.Injection = x.Protect.Findings, x.Protect.Output, x.Protect.Injection
	r.Tokens = x.Usage
	if x.Outcome.Settled {
		// What the account stage charged: the provider's usage, or the
		// output it counted when the provider reported none.
		r.Tokens = x.Outcome.Usage
	} else if a := x.Admission; a != nil && r.Status >= 200 && r.Status < 300 &&
		(x.Usage.Estimated || x.Usage.InputTokens == 0 && x.Usage.OutputTokens == 0) {
		// Never settled: admission's estimate is what stays charged, and
		// the record says it is one. An error answer used no tokens and
		// records none.
		r.Tokens, r.Tokens.Estimated = a.Estimate, true
	}
	r.CostMicros, r.Priced, r.Cache = x.Outcome.CostMicros, x.Outcome.Priced, x.Outcome.Cache
	r.Template, r.TemplateVersion, r.Decorators = x.Prompt.Template, x.Prompt.Version, x.Prompt.Decorators
}

func atoi(s string) int {
	if s == "" {
		return 0
	}
	n, _ := strconv.Atoi(s) // a bad port leaves 0
	return n
}

// outcomeStatus is the status the client got: the outcome's when the
// ext_proc layer recorded one, else the local reply's or the provider's.
func outcomeStatus(x *pipeline.Exchange) int {
	switch {
	case x.Outcome.Status != 0:
		return x.Outcome.Status
	case x.Reply != nil && x.Reply.Status != 0:
		return x.Reply.Status
	}
	return x.Status
}

// AppendJSON appends the record as one JSON object, without the chain
// fields (seq, prev) the writer puts in front and without a newline.
func (r *Record) AppendJSON(b []byte) []byte {
	b = append(b, '{')
	b = str(b, "type", TypeRequest)
	b = timestamp(b, "time", r.Time)
	b = str(b, "level", string(r.Level))
	b = str(b, "request_id", r.RequestID)
	b = strOpt(b, "decision_id", r.DecisionID)
	b = str(b, "api", r.API)
	b = r.appendIdentity(b)
	b = strOpt(b, "tenant", r.Identity.Tenant)
	if r.ClientAddress != "" {
		b = append(key(b, "client"), '{')
		b = str(b, "address", r.ClientAddress)
		if r.ClientPort > 0 {
			b = num(b, "port", int64(r.ClientPort))
		}
		b = append(b, '}')
	}
	if r.Model != "" || r.Served != "" || r.Upstream != "" {
		b = append(key(b, "model"), '{')
		b = strOpt(b, "requested", r.Model)
		b = strOpt(b, "served", r.Served)
		b = strOpt(b, "upstream", r.Upstream)
		b = append(b, '}')
	}
	b = strOpt(b, "backend", r.Backend)
	b = strOpt(b, "fallback_chain", r.Chain)
	if r.Attempts > 0 {
		b = num(b, "attempts", int64(r.Attempts))
	}
	b = r.appendDecision(b)
	b = r.appendProtect(b)
	b = r.appendUsage(b)
	b = num(b, "status", int64(r.Status))
	b = strOpt(b, "error", r.Error)
	b = millis(b, "latency_ms", r.Latency)
	if r.TTFT > 0 {
		b = millis(b, "ttft_ms", r.TTFT)
	}
	b = strOpt(b, "cache", r.Cache)
	if r.Template != "" {
		b = append(key(b, "template"), '{')
		b = str(b, "name", r.Template)
		b = strOpt(b, "version", r.TemplateVersion)
		b = append(b, '}')
	}
	b = strList(b, "decorators", r.Decorators)
	if r.Payload != "" {
		b = str(b, "payload", r.Payload)
		if r.PayloadTruncated {
			b = boolean(b, "payload_truncated", true)
		}
	}
	return append(b, '}')
}

func (r *Record) appendIdentity(b []byte) []byte {
	id := &r.Identity
	b = append(key(b, "identity"), '{')
	b = boolean(b, "authenticated", id.Authenticated)
	b = strOpt(b, "source", id.Source)
	b = strOpt(b, "subject", id.Subject)
	b = strOpt(b, "key_id", id.KeyID)
	b = strOpt(b, "key_name", id.KeyName)
	b = strOpt(b, "user", id.User)
	b = strOpt(b, "team", id.Team)
	b = strOpt(b, "app", id.App)
	b = strOpt(b, "tenant", id.Tenant)
	b = strOpt(b, "principal", id.Principal)
	return append(b, '}')
}

func (r *Record) appendDecision(b []byte) []byte {
	d := &r.Decision
	if !d.Made {
		return b
	}
	b = append(key(b, "decision"), '{')
	b = boolean(b, "allow", d.Allow)
	if d.Status != 0 {
		b = num(b, "status", int64(d.Status))
	}
	b = strOpt(b, "reason", d.Reason)
	b = strList(b, "reasons", d.Reasons)
	if d.DryRun {
		b = boolean(b, "dry_run", true)
	}
	if d.FailedOpen {
		b = boolean(b, "failed_open", true)
	}
	return append(b, '}')
}

func (r *Record) appendProtect(b []byte) []byte {
	b = appendFindings(b, "findings", r.Findings)
	b = appendFindings(b, "output_findings", r.Output)
	in := &r.Injection
	if in.Verdict == "" {
		return b
	}
	b = append(key(b, "injection"), '{')
	b = float(b, "score", in.Score, 4)
	b = str(b, "verdict", in.Verdict)
	b = strList(b, "signals", in.Signals)
	return append(b, '}')
}

func appendFindings(b []byte, k string, fs []pipeline.FindingCount) []byte {
	if len(fs) == 0 {
		return b
	}
	b = append(key(b, k), '[')
	for i, f := range fs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '{')
		b = str(b, "type", f.Type)
		b = strOpt(b, "action", f.Action)
		b = num(b, "count", int64(f.Count))
		b = append(b, '}')
	}
	return append(b, ']')
}

func (r *Record) appendUsage(b []byte) []byte {
	t := &r.Tokens
	if *t != (translate.Usage{}) {
		b = append(key(b, "tokens"), '{')
		b = num(b, "input", t.InputTokens)
		b = num(b, "output", t.OutputTokens)
		if t.CachedInputTokens > 0 {
			b = num(b, "cached", t.CachedInputTokens)
		}
		if t.CacheWriteTokens > 0 {
			b = num(b, "cache_write", t.CacheWriteTokens)
		}
		if t.ReasoningTokens > 0 {
			b = num(b, "reasoning", t.ReasoningTokens)
		}
		if t.Estimated {
			b = boolean(b, "estimated", true)
		}
		b = append(b, '}')
	}
	if r.Priced {
		b = num(b, "cost_micros", r.CostMicros)
	}
	return b
}
