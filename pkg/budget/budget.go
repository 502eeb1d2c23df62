// Package budget keeps spending within limits. A Budget caps what one
// tenant, team, key or user may spend in a period (a UTC day, a UTC month,
// or a fixed window), in micro-USD. The Tracker answers, before a request is
// admitted, whether every budget that applies still has room (Check), and
// after the response adds the request's cost (Charge), reporting each
// crossing of 50, 80 and 100% of a budget exactly once per period, however
// many requests and replicas charge at the same moment.
//
// The tracker only reports. What an exhausted budget means (a 429
// budget_exceeded, or a cheaper model) is the caller's decision, guided by
// the budget's OnExceed.
//
// Counters live in a Store: MemoryStore for one process, RedisStore for
// replicas that share budgets. Crossings go to a Notifier, such as Webhook.
package budget

import (
	"errors"
	"fmt"
	"time"
)

// Errors returned by this package; test with errors.Is.
var (
	// ErrInvalidBudget marks a budget definition that cannot be enforced.
	ErrInvalidBudget = errors.New("invalid budget")
	// ErrNegativeCharge is returned by Charge for a negative amount;
	// refunds are not supported, so a crossing can never be undone.
	ErrNegativeCharge = errors.New("negative charge")
)

// Kind is what a budget is kept for.
type Kind string

// The kinds of scope a budget can cap.
const (
	Tenant Kind = "tenant"
	Team   Kind = "team"
	Key    Kind = "key"
	User   Kind = "user"
)

// Scope names one tenant, team, key or user.
type Scope struct {
	Kind Kind   `json:"kind"`
	ID   string `json:"id"`
}

// Each is the Scope.ID of a budget that applies to every scope of its kind
// separately: {Tenant, Each} gives each tenant its own counter.
const Each = "*"

func (s Scope) String() string { return string(s.Kind) + ":" + s.ID }

// Action is what a budget asks the caller to do once it is exhausted.
type Action string

// Actions, from the strongest.
const (
	// Block refuses further requests: 429 budget_exceeded. The default.
	Block Action = "block"
	// Downgrade routes further requests to a cheaper model.
	Downgrade Action = "downgrade"
	// Alert only reports crossings; requests keep flowing.
	Alert Action = "alert"
)

// Budget caps the spending of one scope in each period.
type Budget struct {
	// Name identifies the budget in counters, events and errors. Unique.
	Name        string
	Scope       Scope
	Period      Period
	LimitMicros int64
	// OnExceed is what an exhausted budget asks for; empty means Block.
	OnExceed Action
}

// thresholds are the percentages of a limit whose crossing is reported.
var thresholds = [...]int{50, 80, 100}

// MaxLimitMicros is the largest limit, 2^53 micro-USD (about nine billion
// dollars): counters stay exact in Redis's Lua numbers up to there.
const MaxLimitMicros = 1 << 53

// validate checks one budget; at is its position for error messages.
func (b Budget) validate(at string) error {
	fail := func(field, format string, args ...any) error {
		return fmt.Errorf("%w: %s.%s: %s", ErrInvalidBudget, at, field, fmt.Sprintf(format, args...))
	}
	switch {
	case b.Name == "":
		return fail("name", "required")
	case b.Scope.Kind != Tenant && b.Scope.Kind != Team && b.Scope.Kind != Key && b.Scope.Kind != User:
		return fail("scope.kind", "want tenant, team, key or user, got %q", b.Scope.Kind)
	case b.Scope.ID == "":
		return fail("scope.id", "required (%q for each %s)", Each, b.Scope.Kind)
	case b.LimitMicros <= 0 || b.LimitMicros > MaxLimitMicros:
		return fail("limit", "want 1 to %d micro-USD, got %d", int64(MaxLimitMicros), b.LimitMicros)
	case b.OnExceed != "" && b.OnExceed != Block && b.OnExceed != Downgrade && b.OnExceed != Alert:
		return fail("on_exceed", "want block, downgrade or alert, got %q", b.OnExceed)
	}
	if err := b.Period.validate(); err != nil {
		return fail("period", "%v", err)
	}
	return nil
}

// action is OnExceed with its default.
func (b Budget) action() Action {
	if b.OnExceed == "" {
		return Block
	}
	return b.OnExceed
}

// thresholdAt is the spend, in micro-USD, at which pct percent of the limit
// is reached: the limit × pct / 100, rounded up, so a crossing is never
// reported early.
func (b Budget) thresholdAt(pct int) int64 {
	return (b.LimitMicros*int64(pct) + 99) / 100 // limit ≤ 2^53, so no overflow
}

// PeriodKind is how a budget's periods are laid out in time.
type PeriodKind string

// Period kinds.
const (
	// Daily periods start at 00:00 UTC.
	Daily PeriodKind = "daily"
	// Monthly periods start at 00:00 UTC on the first of the month.
	Monthly PeriodKind = "monthly"
	// Window periods are a fixed duration, back to back from an anchor.
	Window PeriodKind = "window"
)

// Period lays a budget's periods out in time. The counter starts from zero
// at the beginning of each period.
type Period struct {
	Kind PeriodKind
	// Every is a Window's length; at least a second.
	Every time.Duration
	// Anchor is when one Window starts; the zero time means the Unix epoch.
	Anchor time.Time
}

func (p Period) validate() error {
	switch p.Kind {
	case Daily, Monthly:
		if p.Every != 0 || !p.Anchor.IsZero() {
			return fmt.Errorf("%s periods take no length or anchor", p.Kind)
		}
	case Window:
		if p.Every < time.Second {
			return fmt.Errorf("a window must be at least 1s, got %v", p.Every)
		}
	default:
		return fmt.Errorf("want daily, monthly or window, got %q", p.Kind)
	}
	return nil
}

// Bounds returns the period containing t: start ≤ t < end, in UTC. A
// period that does not validate has empty bounds at t.
func (p Period) Bounds(t time.Time) (start, end time.Time) {
	t = t.UTC()
	if p.validate() != nil {
		return t, t
	}
	switch p.Kind {
	case Daily:
		start = time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
		return start, start.AddDate(0, 0, 1)
	case Monthly:
		start = time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
		return start, start.AddDate(0, 1, 0)
	}
	anchor := p.Anchor
	if anchor.IsZero() {
		anchor = time.Unix(0, 0)
	}
	n := t.Sub(anchor) / p.Every
	if t.Before(anchor.Add(n * p.Every)) { // floor, for times before the anchor
		n--
	}
	start = anchor.Add(n * p.Every).UTC()
	return start, start.Add(p.Every)
}
