// Package limits decides whether a request may start under its rate and
// concurrency limits, and accounts for what it really used once it ends.
//
// A request carries several rules at once (a key within a team within a
// tenant, a model, a backend...). Admission checks every rule and charges
// them all in one atomic step, or charges nothing. It charges the request
// and its estimated tokens; the ticket it returns settles the difference
// between the estimate and the real usage when the response ends, and frees
// the request's concurrency slots.
//
// The state lives behind the Limiter interface: memlimit keeps it in process
// memory (the default), redislimit keeps it in Redis so replicas share it,
// and FailOpen falls back from one to the other. README.md describes the
// algorithm, the overshoot bound and the response headers.
package limits

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Window is the period every per-minute limit refills over: a bucket
// drained to empty is full again one Window later.
const Window = time.Minute

// windowMicros is Window in the unit every backend keeps time in.
const windowMicros = float64(Window / time.Microsecond)

// ConcurrencyRetryAfter is the wait suggested when only a concurrency limit
// refuses a request: slots free when other requests end, which no clock
// predicts.
const ConcurrencyRetryAfter = time.Second

// Dimension is one quantity a limit counts.
type Dimension uint8

// The dimensions. The first four refill over Window; Concurrent counts
// requests in flight.
const (
	Requests     Dimension = iota // requests per minute
	Tokens                        // input plus output tokens per minute
	InputTokens                   // input (prompt) tokens per minute
	OutputTokens                  // output (completion) tokens per minute
	Concurrent                    // requests in flight at once
)

// RateDimensions is how many dimensions refill over Window; they index
// State.Level.
const RateDimensions = 4

func (d Dimension) String() string {
	switch d {
	case Requests:
		return "requests"
	case Tokens:
		return "tokens"
	case InputTokens:
		return "input_tokens"
	case OutputTokens:
		return "output_tokens"
	case Concurrent:
		return "concurrent_requests"
	default:
		return fmt.Sprintf("dimension(%d)", uint8(d))
	}
}

// Rule is one scope's limits. A zero limit means that dimension is not
// limited for this scope.
type Rule struct {
	// Scope names whose budget this is: any descriptor, such as
	// "key:k_1", "tenant:acme", "tenant:acme/model:gpt-4o". Requests that
	// carry the same scope share its state, so a scope should always come
	// with the same limits; when they change, the new ones apply from the
	// next request on.
	Scope string

	RequestsPerMinute     int64
	TokensPerMinute       int64 // input + output
	InputTokensPerMinute  int64
	OutputTokensPerMinute int64
	MaxConcurrent         int64
}

// Limit returns the rule's limit in dimension d (zero: unlimited).
func (r *Rule) Limit(d Dimension) int64 {
	switch d {
	case Requests:
		return r.RequestsPerMinute
	case Tokens:
		return r.TokensPerMinute
	case InputTokens:
		return r.InputTokensPerMinute
	case OutputTokens:
		return r.OutputTokensPerMinute
	case Concurrent:
		return r.MaxConcurrent
	default:
		return 0
	}
}

// Request is what admission needs to know about one model call.
type Request struct {
	// Rules are checked together: all pass and all are charged, or the
	// request is refused and none is.
	Rules []Rule
	// InputTokens and OutputTokens are the estimates charged at admission,
	// corrected by Ticket.Settle. An estimate that is an upper bound (the
	// prompt plus max_tokens) never lets usage overshoot a limit.
	InputTokens  int64
	OutputTokens int64
}

// Cost is what admitting the request charges in dimension d.
func (r *Request) Cost(d Dimension) int64 {
	switch d {
	case Requests, Concurrent:
		return 1
	case Tokens:
		return r.InputTokens + r.OutputTokens
	case InputTokens:
		return r.InputTokens
	case OutputTokens:
		return r.OutputTokens
	default:
		return 0
	}
}

// Correction is what Settle adds to each refilled dimension: the actual
// usage minus the estimate. Requests are counted at admission and never
// corrected.
func (r *Request) Correction(actualInput, actualOutput int64) [RateDimensions]int64 {
	return [RateDimensions]int64{
		Tokens:       actualInput + actualOutput - r.InputTokens - r.OutputTokens,
		InputTokens:  actualInput - r.InputTokens,
		OutputTokens: actualOutput - r.OutputTokens,
	}
}

// ErrInvalid marks a malformed Request or Settle call: a bug in the caller,
// never a reason to fail open.
var ErrInvalid = errors.New("limits: invalid request")

// ErrUnavailable marks a failure of the shared state (Redis unreachable,
// timing out, or answering nonsense). The caller answers 503, or FailOpen
// decides locally instead.
var ErrUnavailable = errors.New("limits: limiter state unavailable")

// Validate reports the first malformed field, naming it.
func (r *Request) Validate() error {
	if r.InputTokens < 0 || r.OutputTokens < 0 {
		return fmt.Errorf("%w: negative token estimate (input %d, output %d)", ErrInvalid, r.InputTokens, r.OutputTokens)
	}
	for i := range r.Rules {
		rule := &r.Rules[i]
		if rule.Scope == "" {
			return fmt.Errorf("%w: rules[%d]: empty scope", ErrInvalid, i)
		}
		for d := Requests; d <= Concurrent; d++ {
			if rule.Limit(d) < 0 {
				return fmt.Errorf("%w: rules[%d] (%s): negative %s limit", ErrInvalid, i, rule.Scope, d)
			}
		}
		for j := range i {
			if r.Rules[j].Scope == rule.Scope {
				return fmt.Errorf("%w: rules[%d]: scope %q repeats rules[%d]", ErrInvalid, i, rule.Scope, j)
			}
		}
	}
	return nil
}

// ValidateUsage checks the actual usage passed to Settle.
func ValidateUsage(actualInput, actualOutput int64) error {
	if actualInput < 0 || actualOutput < 0 {
		return fmt.Errorf("%w: negative usage (input %d, output %d)", ErrInvalid, actualInput, actualOutput)
	}
	return nil
}

// Limiter admits requests. Implementations are safe for concurrent use.
type Limiter interface {
	// Admit checks every rule of req and, only if all pass, charges them:
	// one request, the estimated tokens and one concurrency slot each. A
	// refused request gets Result.Allowed false and a Ticket whose methods
	// do nothing; an error means no decision was made (the caller answers
	// 503 when errors.Is(err, ErrUnavailable)).
	Admit(ctx context.Context, req Request) (Ticket, Result, error)
}

// Ticket is an admitted request's claim on its limits. The first call to
// Settle or Release ends it; later calls do nothing and return nil.
type Ticket interface {
	// Settle charges actual minus estimated tokens (a refund when the
	// estimate was high) to every rule the admission charged, and frees the
	// concurrency slots.
	Settle(ctx context.Context, actualInput, actualOutput int64) error
	// Release frees the concurrency slots and keeps the estimate as the
	// charge: for requests that end without usage, such as aborted ones.
	Release(ctx context.Context) error
}

// NoTicket is the Ticket of a request that holds nothing: refused, not
// admitted because of an error, or carrying no rules.
var NoTicket Ticket = noTicket{}

type noTicket struct{}

func (noTicket) Settle(context.Context, int64, int64) error { return nil }
func (noTicket) Release(context.Context) error              { return nil }
