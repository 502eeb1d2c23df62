package limits

import (
	"strconv"
	"time"
)

// Result is one admission decision and the state it leaves, per dimension.
type Result struct {
	Allowed bool
	// RetryAfter is, for a refused request, the earliest time every rule
	// could admit it if nothing else arrived meanwhile. Zero when allowed,
	// and when no wait helps (Denial.TooLarge).
	RetryAfter time.Duration
	// Denial says which rule refused the request; zero when allowed.
	Denial Denial

	// The tightest quota across the rules, per dimension: the one with the
	// least remaining (the longest reset among equals). A zero Quota means
	// no rule limits that dimension.
	Requests     Quota
	Tokens       Quota
	InputTokens  Quota
	OutputTokens Quota
	Concurrent   Quota
}

// Quota is one rule's standing in one dimension.
type Quota struct {
	Scope     string
	Limit     int64
	Remaining int64 // what is left; never negative, even in debt
	// Reset is how long until the bucket is empty again (fully reset) if
	// nothing more is charged: OpenAI's x-ratelimit-reset-* meaning. It is
	// zero for Concurrent.
	Reset time.Duration
}

// Denial names the rule and dimension that refused a request.
type Denial struct {
	Scope     string
	Dimension Dimension
	Limit     int64
	Remaining int64
	Requested int64 // what the request needed in this dimension
	// TooLarge: the request alone needs more than the limit, so it can never
	// be admitted under this rule.
	TooLarge bool
}

func (r *Result) quota(d Dimension) *Quota {
	switch d {
	case Requests:
		return &r.Requests
	case Tokens:
		return &r.Tokens
	case InputTokens:
		return &r.InputTokens
	case OutputTokens:
		return &r.OutputTokens
	default:
		return &r.Concurrent
	}
}

// Quota returns the tightest quota in dimension d.
func (r *Result) Quota(d Dimension) Quota { return *r.quota(d) }

func (q *Quota) tighten(c Quota) {
	if q.Limit == 0 || c.Remaining < q.Remaining || (c.Remaining == q.Remaining && c.Reset > q.Reset) {
		*q = c
	}
}

// TokenQuota is the token quota shown to clients: the tightest of the
// total, input and output token quotas.
func (r *Result) TokenQuota() Quota {
	var q Quota
	for _, c := range [...]Quota{r.Tokens, r.InputTokens, r.OutputTokens} {
		if c.Limit > 0 {
			q.tighten(c)
		}
	}
	return q
}

// The response headers, named and formatted as OpenAI's API sends them.
const (
	HeaderLimitRequests     = "x-ratelimit-limit-requests"
	HeaderLimitTokens       = "x-ratelimit-limit-tokens" //nolint:gosec // a header name, not a credential
	HeaderRemainingRequests = "x-ratelimit-remaining-requests"
	HeaderRemainingTokens   = "x-ratelimit-remaining-tokens" //nolint:gosec // a header name, not a credential
	HeaderResetRequests     = "x-ratelimit-reset-requests"
	HeaderResetTokens       = "x-ratelimit-reset-tokens" //nolint:gosec // a header name, not a credential
	HeaderRetryAfter        = "retry-after"
	HeaderRetryAfterMs      = "retry-after-ms"
	HeaderShouldRetry       = "x-should-retry"
)

// Headers renders the result as OpenAI's rate-limit headers:
//
//	x-ratelimit-limit-requests: 60        x-ratelimit-limit-tokens: 150000
//	x-ratelimit-remaining-requests: 59    x-ratelimit-remaining-tokens: 149984
//	x-ratelimit-reset-requests: 1s        x-ratelimit-reset-tokens: 6m0s
//
// Resets are Go durations rounded up to the millisecond ("20ms", "1.5s",
// "6m0s"). A dimension no rule limits is left out. A refused request also
// gets retry-after (whole seconds, rounded up) and retry-after-ms, which the
// OpenAI SDKs prefer; one that can never pass gets x-should-retry: false
// instead, so the SDKs do not retry it.
func (r *Result) Headers() map[string]string {
	h := make(map[string]string, 8)
	r.EachHeader(func(name, value string) { h[name] = value })
	return h
}

// EachHeader calls fn with each of Headers' headers, sorted by name,
// without building the map: every admitted request sends them.
func (r *Result) EachHeader(fn func(name, value string)) {
	if !r.Allowed && !r.Denial.TooLarge && r.RetryAfter > 0 {
		fn(HeaderRetryAfter, itoa(ceilDiv(r.RetryAfter, time.Second)))
		fn(HeaderRetryAfterMs, itoa(ceilDiv(r.RetryAfter, time.Millisecond)))
	}
	req, tok := r.Requests, r.TokenQuota()
	if req.Limit > 0 {
		fn(HeaderLimitRequests, itoa(req.Limit))
	}
	if tok.Limit > 0 {
		fn(HeaderLimitTokens, itoa(tok.Limit))
	}
	if req.Limit > 0 {
		fn(HeaderRemainingRequests, itoa(req.Remaining))
	}
	if tok.Limit > 0 {
		fn(HeaderRemainingTokens, itoa(tok.Remaining))
	}
	if req.Limit > 0 {
		fn(HeaderResetRequests, FormatReset(req.Reset))
	}
	if tok.Limit > 0 {
		fn(HeaderResetTokens, FormatReset(tok.Reset))
	}
	if !r.Allowed && r.Denial.TooLarge {
		fn(HeaderShouldRetry, "false")
	}
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

// FormatReset formats a reset duration as OpenAI does: a Go duration,
// rounded up to the millisecond.
func FormatReset(d time.Duration) string {
	if d <= 0 {
		return "0s"
	}
	return (time.Duration(ceilDiv(d, time.Millisecond)) * time.Millisecond).String()
}

func ceilDiv(d, unit time.Duration) int64 {
	return int64((d + unit - 1) / unit)
}
