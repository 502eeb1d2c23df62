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
// without building the map: every admitted request sends them. The
// values share one string, one allocation for all of them.
func (r *Result) EachHeader(fn func(name, value string)) {
	var buf [160]byte
	// Eight headers at most: retry-after and retry-after-ms go with a
	// refusal that may be retried, x-should-retry with one that may not.
	var hs [8]struct {
		name string
		end  int // of its value in b
	}
	b, n := buf[:0], 0
	put := func(name string) { hs[n].name, hs[n].end = name, len(b); n++ }
	if !r.Allowed && !r.Denial.TooLarge && r.RetryAfter > 0 {
		b = strconv.AppendInt(b, ceilDiv(r.RetryAfter, time.Second), 10)
		put(HeaderRetryAfter)
		b = strconv.AppendInt(b, ceilDiv(r.RetryAfter, time.Millisecond), 10)
		put(HeaderRetryAfterMs)
	}
	req, tok := r.Requests, r.TokenQuota()
	if req.Limit > 0 {
		b = strconv.AppendInt(b, req.Limit, 10)
		put(HeaderLimitRequests)
	}
	if tok.Limit > 0 {
		b = strconv.AppendInt(b, tok.Limit, 10)
		put(HeaderLimitTokens)
	}
	if req.Limit > 0 {
		b = strconv.AppendInt(b, req.Remaining, 10)
		put(HeaderRemainingRequests)
	}
	if tok.Limit > 0 {
		b = strconv.AppendInt(b, tok.Remaining, 10)
		put(HeaderRemainingTokens)
	}
	if req.Limit > 0 {
		b = appendReset(b, req.Reset)
		put(HeaderResetRequests)
	}
	if tok.Limit > 0 {
		b = appendReset(b, tok.Reset)
		put(HeaderResetTokens)
	}
	if !r.Allowed && r.Denial.TooLarge {
		b = append(b, "false"...)
		put(HeaderShouldRetry)
	}
	all, start := string(b), 0
	for _, h := range hs[:n] {
		fn(h.name, all[start:h.end])
		start = h.end
	}
}

// FormatReset formats a reset duration as OpenAI does: a Go duration,
// rounded up to the millisecond.
func FormatReset(d time.Duration) string { return string(appendReset(nil, d)) }

// appendReset appends FormatReset(d): what time.Duration's String writes
// for d rounded up to the millisecond, without the string.
func appendReset(b []byte, d time.Duration) []byte {
	if d <= 0 {
		return append(b, "0s"...)
	}
	ms := ceilDiv(d, time.Millisecond)
	if ms < 1000 {
		return append(strconv.AppendInt(b, ms, 10), "ms"...)
	}
	secs, frac := ms/1000, ms%1000
	if h := secs / 3600; h > 0 {
		b = append(strconv.AppendInt(b, h, 10), 'h')
	}
	if secs >= 60 {
		b = append(strconv.AppendInt(b, secs/60%60, 10), 'm')
	}
	b = strconv.AppendInt(b, secs%60, 10)
	if frac > 0 {
		// Three digits, less the trailing zeros.
		digits := [3]byte{byte('0' + frac/100), byte('0' + frac/10%10), byte('0' + frac%10)}
		n := 3
		for digits[n-1] == '0' {
			n--
		}
		b = append(append(b, '.'), digits[:n]...)
	}
	return append(b, 's')
}

func ceilDiv(d, unit time.Duration) int64 {
	q := int64(d / unit)
	if d%unit > 0 {
		q++
	}
	return q
}
