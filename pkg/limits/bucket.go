package limits

import (
	"math"
	"time"
)

// Every backend runs the same bucket: for each (scope, dimension) a level,
// the amount used, which drains continuously at limit per Window. A request
// is admitted when level + cost <= limit in every limited dimension of every
// rule. Admission adds the cost; Settle adds the correction, which may push
// the level above the limit (debt) or refund (never below zero).
//
// The Redis backend runs this logic in Lua (redislimit/admit.lua and
// settle.lua), with the same float arithmetic in the same order, so both
// backends reach the same decisions; the shared conformance tests check it.

// State is one rule's usage as a backend read it at decision time.
type State struct {
	// Level is the usage per refilled dimension, already drained to now.
	Level [RateDimensions]float64
	// InFlight counts the scope's admitted requests that have not ended.
	InFlight int64
	// Denied has bit d set when dimension d refuses the request. Check
	// sets it; backends that decide elsewhere (Lua) fill it in themselves.
	Denied uint8
}

// Drain returns level after elapsedMicros of refilling at limit per Window.
// An unlimited dimension keeps no level.
func Drain(level float64, limit, elapsedMicros int64) float64 {
	if limit <= 0 {
		return 0
	}
	if elapsedMicros > 0 {
		level -= float64(elapsedMicros) * float64(limit) / windowMicros
	}
	return max(level, 0)
}

// Check sets Denied in every state and reports whether all rules admit req.
// st[i] is the state of req.Rules[i].
func Check(req *Request, st []State) bool {
	ok := true
	for i := range req.Rules {
		r, s := &req.Rules[i], &st[i]
		s.Denied = 0
		for d := Requests; d < RateDimensions; d++ {
			if lim := r.Limit(d); lim > 0 && s.Level[d]+float64(req.Cost(d)) > float64(lim) {
				s.Denied |= 1 << d
			}
		}
		if r.MaxConcurrent > 0 && s.InFlight+1 > r.MaxConcurrent {
			s.Denied |= 1 << Concurrent
		}
		if s.Denied != 0 {
			ok = false
		}
	}
	return ok
}

// Charge adds req's cost to every state; call it only when Check passed.
func Charge(req *Request, st []State) {
	for i := range req.Rules {
		r, s := &req.Rules[i], &st[i]
		for d := Requests; d < RateDimensions; d++ {
			if r.Limit(d) > 0 {
				s.Level[d] += float64(req.Cost(d))
			}
		}
		if r.MaxConcurrent > 0 {
			s.InFlight++
		}
	}
}

// Correct applies a Settle correction to one rule's state: debt raises the
// level past the limit if need be, a refund lowers it to zero at most.
func Correct(r *Rule, s *State, c [RateDimensions]int64) {
	for d := Tokens; d < RateDimensions; d++ {
		if r.Limit(d) > 0 && c[d] != 0 {
			s.Level[d] = max(s.Level[d]+float64(c[d]), 0)
		}
	}
}

// IdleAfter is how long until every refilled dimension of s is empty again.
func IdleAfter(r *Rule, s *State) time.Duration {
	var idle time.Duration
	for d := Requests; d < RateDimensions; d++ {
		idle = max(idle, drainTime(r.Limit(d), s.Level[d]))
	}
	return idle
}

// drainTime is how long amount takes to drain at limit per Window, rounded
// up to the microsecond.
func drainTime(limit int64, amount float64) time.Duration {
	if limit <= 0 || amount <= 0 {
		return 0
	}
	us := math.Ceil(amount * windowMicros / float64(limit))
	return time.Duration(us) * time.Microsecond
}

// Outcome turns the states a backend decided on into the Result: for an
// admitted request, the states after charging; for a refused one, the
// states as they were, with Denied set.
func Outcome(req *Request, st []State, allowed bool) Result {
	res := Result{Allowed: allowed}
	var wait time.Duration
	for i := range req.Rules {
		r, s := &req.Rules[i], &st[i]
		for d := Requests; d < RateDimensions; d++ {
			lim := r.Limit(d)
			if lim <= 0 {
				continue
			}
			q := Quota{
				Scope:     r.Scope,
				Limit:     lim,
				Remaining: max(int64(math.Floor(float64(lim)-s.Level[d])), 0),
				Reset:     drainTime(lim, s.Level[d]),
			}
			res.quota(d).tighten(q)
			if s.Denied&(1<<d) != 0 {
				cost := req.Cost(d)
				w := drainTime(lim, s.Level[d]+float64(cost)-float64(lim))
				res.deny(Denial{Scope: r.Scope, Dimension: d, Limit: lim, Remaining: q.Remaining, Requested: cost, TooLarge: cost > lim}, w, &wait)
			}
		}
		if r.MaxConcurrent > 0 {
			q := Quota{Scope: r.Scope, Limit: r.MaxConcurrent, Remaining: max(r.MaxConcurrent-s.InFlight, 0)}
			res.Concurrent.tighten(q)
			if s.Denied&(1<<Concurrent) != 0 {
				res.deny(Denial{Scope: r.Scope, Dimension: Concurrent, Limit: q.Limit, Remaining: q.Remaining, Requested: 1}, ConcurrencyRetryAfter, &wait)
			}
		}
	}
	if !allowed {
		res.RetryAfter = wait
		if res.Denial.TooLarge {
			res.RetryAfter = 0
		}
		if res.Denial.Scope == "" {
			// The backend refused without naming a rule: never admit on a
			// guess, but suggest a short wait.
			res.RetryAfter = time.Millisecond
		}
	}
	return res
}

// deny records d when it explains the refusal best: a request too large
// for a limit can never pass, so that wins; otherwise the longest wait,
// which is also the earliest time every rule could pass.
func (r *Result) deny(d Denial, w time.Duration, wait *time.Duration) {
	switch {
	case r.Denial.TooLarge:
	case d.TooLarge, r.Denial.Scope == "", w > *wait:
		r.Denial = d
	}
	*wait = max(*wait, w)
}
