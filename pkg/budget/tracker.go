package budget

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/sluice-gw/sluice/pkg/memo"
)

// Tracker checks and charges budgets. It holds no counters itself, so a new
// Tracker built from a reloaded config carries on where the old one left
// off. It is safe for concurrent use.
type Tracker struct {
	store    Store
	notifier Notifier
	now      func() time.Time
	byScope  map[Scope][]*tracked // budgets for one named scope
	byKind   map[Kind][]*tracked  // budgets for each scope of a kind (ID "*")
	keys     *memo.Map[counterOf, string]
}

// tracked is a budget with what every check and charge of it reuses.
type tracked struct {
	Budget
	// marks are the crossings a charge tests; stores only read them.
	marks []Mark
	// period is the period bounds last computed: a period changes once a
	// day or a month, and the calendar math is twice a request otherwise
	// (check and charge).
	period atomic.Pointer[bounds]
}

type bounds struct{ start, end time.Time }

// bounds returns the period that holds now.
func (b *tracked) bounds(now time.Time) (start, end time.Time) {
	if p := b.period.Load(); p != nil && !now.Before(p.start) && now.Before(p.end) {
		return p.start, p.end
	}
	start, end = b.Period.Bounds(now)
	if end.After(start) {
		b.period.Store(&bounds{start, end})
	}
	return start, end
}

func newTracked(b Budget) *tracked {
	t := &tracked{Budget: b, marks: make([]Mark, len(thresholds))}
	for j, pct := range thresholds {
		t.marks[j] = Mark{Name: strconv.Itoa(pct), At: b.thresholdAt(pct)}
	}
	return t
}

// Option configures a Tracker.
type Option func(*Tracker)

// WithNotifier sends every crossing Charge reports to n as well.
func WithNotifier(n Notifier) Option { return func(t *Tracker) { t.notifier = n } }

// WithClock sets the clock periods are read from; the default is time.Now.
func WithClock(now func() time.Time) Option { return func(t *Tracker) { t.now = now } }

// expiryGrace keeps a counter this long after its period ends, so a charge
// for a request that started just before the end still finds it.
const expiryGrace = time.Hour

// NewTracker validates budgets and returns a tracker keeping them in store.
// Errors name the budget: budgets[2].limit: ...
func NewTracker(store Store, budgets []Budget, opts ...Option) (*Tracker, error) {
	if store == nil {
		return nil, errors.New("budget: a tracker needs a store")
	}
	t := &Tracker{store: store, now: time.Now, byScope: map[Scope][]*tracked{}, byKind: map[Kind][]*tracked{},
		keys: memo.New[counterOf, string](maxKeys)}
	names := map[string]int{}
	for i, b := range budgets {
		at := fmt.Sprintf("budgets[%d]", i)
		if err := b.validate(at); err != nil {
			return nil, err
		}
		if j, dup := names[b.Name]; dup {
			return nil, fmt.Errorf("%w: %s.name: duplicate budget name %q (first defined at budgets[%d])", ErrInvalidBudget, at, b.Name, j)
		}
		names[b.Name] = i
		if b.Scope.ID == Each {
			t.byKind[b.Scope.Kind] = append(t.byKind[b.Scope.Kind], newTracked(b))
		} else {
			t.byScope[b.Scope] = append(t.byScope[b.Scope], newTracked(b))
		}
	}
	for _, o := range opts {
		o(t)
	}
	return t, nil
}

// Decision is the answer to Check.
type Decision struct {
	// Allowed is false when a budget that blocks or downgrades is exhausted.
	Allowed bool
	// Exceeded lists every exhausted budget, Alert ones included, each with
	// the concrete scope it was exhausted for.
	Exceeded []Budget
	// RemainingFraction is the smallest share of its limit any applicable
	// budget has left, from 0 to 1; 1 when no budget applies.
	RemainingFraction float64
}

// Action is the strongest OnExceed among the exhausted budgets: Block over
// Downgrade over Alert; empty when none is exhausted.
func (d Decision) Action() Action {
	rank := map[Action]int{"": 0, Alert: 1, Downgrade: 2, Block: 3}
	var strongest Action
	for _, b := range d.Exceeded {
		if a := b.action(); rank[a] > rank[strongest] {
			strongest = a
		}
	}
	return strongest
}

// Crossing reports that a charge took a budget past 50, 80 or 100% of its limit.
type Crossing struct {
	Budget      Budget
	Threshold   int // percent: 50, 80 or 100
	SpentMicros int64
	PeriodStart time.Time
	PeriodEnd   time.Time
	At          time.Time
}

// ID is the same for every report of one crossing: the budget, its scope,
// the period and the threshold. Receivers use it to drop duplicate
// deliveries.
func (c Crossing) ID() string {
	return counterKey(c.Budget, c.PeriodStart) + "/" + strconv.Itoa(c.Threshold)
}

// instance is one budget applied to one concrete scope in one period.
type instance struct {
	t          *tracked
	scope      Scope
	start, end time.Time
	key        string
}

// budget is the budget as applied: with the concrete scope.
func (in *instance) budget() Budget {
	b := in.t.Budget
	b.Scope = in.scope
	return b
}

// usualBudgets sizes the arrays a check or charge keeps its budgets in:
// enough for the budgets that apply to most requests. It is a size, not
// a limit; more go to the heap.
const usualBudgets = 4

// applicable appends to out the budgets that apply to a request from
// scopes, each once, with their current periods.
func (t *Tracker) applicable(out []instance, scopes []Scope, now time.Time) []instance {
	add := func(b *tracked, s Scope) {
		start, end := b.bounds(now)
		key := t.counterKeyOf(b, s, start)
		for i := range out {
			if out[i].key == key {
				return
			}
		}
		out = append(out, instance{t: b, scope: s, start: start, end: end, key: key})
	}
	for _, s := range scopes {
		for _, b := range t.byScope[s] {
			add(b, s)
		}
		if s.ID == "" || s.ID == Each {
			continue // an unnamed caller has no counter of its own
		}
		for _, b := range t.byKind[s.Kind] {
			add(b, s)
		}
	}
	return out
}

// counterKey names a budget's counter for one scope and period. Names and
// IDs are escaped so that no two counters can share a key.
func counterKey(b Budget, start time.Time) string {
	return url.PathEscape(b.Name) + "/" + string(b.Scope.Kind) + "/" + url.PathEscape(b.Scope.ID) +
		"/" + strconv.FormatInt(start.Unix(), 10)
}

// Check reports whether a request from scopes may be admitted. It reads
// counters only; two requests checked at once can both be admitted and
// together overshoot a limit by what they cost. If the store fails, Check
// returns the error and the caller chooses to fail open or closed.
func (t *Tracker) Check(ctx context.Context, scopes []Scope) (Decision, error) {
	d := Decision{Allowed: true, RemainingFraction: 1}
	var arr [usualBudgets]instance
	inst := t.applicable(arr[:0], scopes, t.now())
	if len(inst) == 0 {
		return d, nil
	}
	var karr [len(arr)]string
	keys := karr[:0]
	for _, in := range inst {
		keys = append(keys, in.key)
	}
	var sarr [len(arr)]int64
	spent, err := t.spent(ctx, keys, sarr[:0])
	if err != nil {
		return Decision{}, fmt.Errorf("budget: check: %w", err)
	}
	if len(spent) != len(keys) {
		return Decision{}, fmt.Errorf("budget: check: store answered %d of %d counters", len(spent), len(keys))
	}
	for i := range inst {
		b := &inst[i].t.Budget
		left := max(b.LimitMicros-spent[i], 0)
		d.RemainingFraction = min(d.RemainingFraction, float64(left)/float64(b.LimitMicros))
		if left == 0 {
			d.Exceeded = append(d.Exceeded, inst[i].budget())
			if b.action() != Alert {
				d.Allowed = false
			}
		}
	}
	return d, nil
}

// spent and add call the store. The in-process store is called directly,
// with the caller's arrays: through the interface, the arrays would have
// to live on the heap for every request, though only a shared store,
// across the network, needs its own copy.
func (t *Tracker) spent(ctx context.Context, keys []string, out []int64) ([]int64, error) {
	if m, ok := t.store.(*MemoryStore); ok {
		return m.spent(keys, out), nil
	}
	return t.store.Spent(ctx, slices.Clone(keys))
}

func (t *Tracker) add(ctx context.Context, adds []Add, out []Added) ([]Added, error) {
	if m, ok := t.store.(*MemoryStore); ok {
		return m.add(adds, out), nil
	}
	return t.store.Add(ctx, slices.Clone(adds))
}

// Charge adds micros to every budget that applies to scopes and returns the
// crossings this charge caused, also sending them to the notifier. A charge
// of zero does nothing.
func (t *Tracker) Charge(ctx context.Context, scopes []Scope, micros int64) ([]Crossing, error) {
	if micros < 0 {
		return nil, fmt.Errorf("budget: charge %d: %w", micros, ErrNegativeCharge)
	}
	now := t.now()
	var arr [usualBudgets]instance
	inst := t.applicable(arr[:0], scopes, now)
	if micros == 0 || len(inst) == 0 {
		return nil, nil
	}
	var aarr [len(arr)]Add
	adds := aarr[:0]
	for _, in := range inst {
		adds = append(adds, Add{Key: in.key, Amount: micros, Marks: in.t.marks, ExpireAt: in.end.Add(expiryGrace)})
	}
	var rarr [len(arr)]Added
	res, err := t.add(ctx, adds, rarr[:0])
	if err != nil {
		return nil, fmt.Errorf("budget: charge: %w", err)
	}
	if len(res) != len(adds) {
		return nil, fmt.Errorf("budget: charge: store answered %d of %d counters", len(res), len(adds))
	}
	var out []Crossing
	for i, r := range res {
		for _, name := range r.Fired {
			pct, err := strconv.Atoi(name)
			if err != nil {
				return out, fmt.Errorf("budget: charge: store fired unknown mark %q", name)
			}
			c := Crossing{Budget: inst[i].budget(), Threshold: pct, SpentMicros: r.Total,
				PeriodStart: inst[i].start, PeriodEnd: inst[i].end, At: now}
			out = append(out, c)
			if t.notifier != nil {
				t.notifier.Notify(c)
			}
		}
	}
	return out, nil
}
