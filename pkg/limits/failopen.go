package limits

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"
)

// FailOpenOptions configures FailOpen.
type FailOpenOptions struct {
	// Replicas is how many gateway replicas share the primary's limits.
	// While the primary is down, each replica enforces limit/Replicas of
	// every limit locally (at least 1), so together they stay near the
	// shared limit.
	Replicas int
	// RetryInterval is how long decisions stay local after the primary
	// fails before one request probes it again. Default 1s.
	RetryInterval time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// OnFailOpen, when set, is called for every decision made locally, with
	// the error that made the primary unusable. It must not block: it is
	// the hook for a fail-open metric.
	OnFailOpen func(err error)
}

// errPrimaryDown is reported for decisions made locally while waiting to
// probe the primary again.
var errPrimaryDown = fmt.Errorf("%w: waiting to retry after an earlier failure", ErrUnavailable)

// FailOpen is a Limiter that admits through a shared primary (Redis) and,
// while the primary is unavailable, through a local fallback that enforces
// each replica's share of every limit. It recovers by itself: after
// RetryInterval, one request probes the primary, and once that succeeds
// every request goes back to it.
//
// Tickets settle where they were admitted. Only errors that wrap
// ErrUnavailable fail open; invalid requests and a cancelled caller do not.
type FailOpen struct {
	primary, fallback Limiter
	replicas          int64
	retry             time.Duration
	now               func() time.Time
	onFailOpen        func(error)

	// downUntil is zero while the primary is healthy; otherwise the Unix
	// nanosecond after which the next request probes it.
	downUntil atomic.Int64
	decisions atomic.Uint64
}

// NewFailOpen returns a Limiter that prefers primary and falls back to
// fallback, which should be a dedicated in-memory limiter.
func NewFailOpen(primary, fallback Limiter, o FailOpenOptions) (*FailOpen, error) {
	if primary == nil || fallback == nil {
		return nil, errors.New("limits: fail-open needs a primary and a fallback limiter")
	}
	if o.Replicas < 1 {
		return nil, fmt.Errorf("limits: fail-open replicas must be at least 1, got %d", o.Replicas)
	}
	if o.RetryInterval < 0 {
		return nil, fmt.Errorf("limits: fail-open retry interval must not be negative, got %s", o.RetryInterval)
	}
	f := &FailOpen{
		primary:    primary,
		fallback:   fallback,
		replicas:   int64(o.Replicas),
		retry:      o.RetryInterval,
		now:        o.Now,
		onFailOpen: o.OnFailOpen,
	}
	if f.retry == 0 {
		f.retry = time.Second
	}
	if f.now == nil {
		f.now = time.Now
	}
	return f, nil
}

// FailOpenDecisions counts the admissions decided by the fallback.
func (f *FailOpen) FailOpenDecisions() uint64 { return f.decisions.Load() }

// Admit implements Limiter.
func (f *FailOpen) Admit(ctx context.Context, req Request) (Ticket, Result, error) {
	if err := ctx.Err(); err != nil {
		return NoTicket, Result{}, err
	}
	now := f.now().UnixNano()
	down := f.downUntil.Load()
	// While healthy every request asks the primary; while down, only the
	// one request that wins the swap probes it once RetryInterval is over.
	if down != 0 && (now < down || !f.downUntil.CompareAndSwap(down, now+int64(f.retry))) {
		return f.local(ctx, req, errPrimaryDown)
	}
	t, res, err := f.primary.Admit(ctx, req)
	switch {
	case err == nil:
		if down != 0 {
			f.downUntil.Store(0)
		}
		return t, res, nil
	case !errors.Is(err, ErrUnavailable) || ctx.Err() != nil:
		return t, res, err
	}
	f.downUntil.Store(now + int64(f.retry))
	return f.local(ctx, req, err)
}

func (f *FailOpen) local(ctx context.Context, req Request, cause error) (Ticket, Result, error) {
	if err := req.Validate(); err != nil {
		return NoTicket, Result{}, err
	}
	f.decisions.Add(1)
	if f.onFailOpen != nil {
		f.onFailOpen(cause)
	}
	req.Rules = Share(req.Rules, f.replicas)
	return f.fallback.Admit(ctx, req)
}

// Share returns rules with every limit divided among replicas, rounded down
// but never below 1, so a limited dimension stays limited.
func Share(rules []Rule, replicas int64) []Rule {
	if replicas <= 1 {
		return rules
	}
	out := make([]Rule, len(rules))
	for i, r := range rules {
		out[i] = Rule{
			Scope:                 r.Scope,
			RequestsPerMinute:     share(r.RequestsPerMinute, replicas),
			TokensPerMinute:       share(r.TokensPerMinute, replicas),
			InputTokensPerMinute:  share(r.InputTokensPerMinute, replicas),
			OutputTokensPerMinute: share(r.OutputTokensPerMinute, replicas),
			MaxConcurrent:         share(r.MaxConcurrent, replicas),
		}
	}
	return out
}

func share(limit, replicas int64) int64 {
	if limit <= 0 {
		return limit
	}
	return max(limit/replicas, 1)
}
