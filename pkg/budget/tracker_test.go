package budget_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sluice-gw/sluice/pkg/budget"
)

var (
	demo  = budget.Scope{Kind: budget.Tenant, ID: "demo"}
	other = budget.Scope{Kind: budget.Tenant, ID: "other"}
	key1  = budget.Scope{Kind: budget.Key, ID: "WLyQKL2d"}
	daily = budget.Period{Kind: budget.Daily}
)

// clock is a settable test clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.now = t }

// recorder is a Notifier that keeps what it is given.
type recorder struct {
	mu   sync.Mutex
	seen []budget.Crossing
}

func (r *recorder) Notify(c budget.Crossing) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seen = append(r.seen, c)
}
func (r *recorder) crossings() []budget.Crossing {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]budget.Crossing(nil), r.seen...)
}

func newTracker(t *testing.T, store budget.Store, clk *clock, n budget.Notifier, budgets ...budget.Budget) *budget.Tracker {
	t.Helper()
	opts := []budget.Option{budget.WithClock(clk.Now)}
	if n != nil {
		opts = append(opts, budget.WithNotifier(n))
	}
	tr, err := budget.NewTracker(store, budgets, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// step is one Charge or Check in a scenario.
type step struct {
	charge int64
	scopes []budget.Scope
	// for charges: thresholds crossed, by budget name
	crossed map[string][]int
	// for checks (charge == 0)
	allowed   bool
	exceeded  []string
	remaining float64
	action    budget.Action
}

func TestTracker(t *testing.T) {
	tenant := budget.Budget{Name: "demo-daily", Scope: demo, Period: daily, LimitMicros: 1000}
	eachKey := budget.Budget{Name: "per-key", Scope: budget.Scope{Kind: budget.Key, ID: budget.Each}, Period: daily, LimitMicros: 400, OnExceed: budget.Downgrade}
	alert := budget.Budget{Name: "watch", Scope: demo, Period: daily, LimitMicros: 100, OnExceed: budget.Alert}
	both := []budget.Scope{demo, key1}
	tests := []struct {
		name    string
		budgets []budget.Budget
		steps   []step
	}{
		{"no budget applies", []budget.Budget{tenant}, []step{
			{scopes: []budget.Scope{other}, allowed: true, remaining: 1},
			{charge: 5000, scopes: []budget.Scope{other}},
			{scopes: []budget.Scope{other}, allowed: true, remaining: 1},
		}},
		{"thresholds in order, each once", []budget.Budget{tenant}, []step{
			{charge: 499, scopes: both},
			{scopes: both, allowed: true, remaining: 0.501},
			{charge: 1, scopes: both, crossed: map[string][]int{"demo-daily": {50}}},
			{charge: 299, scopes: both},
			{charge: 1, scopes: both, crossed: map[string][]int{"demo-daily": {80}}},
			{charge: 1, scopes: both},
			{charge: 199, scopes: both, crossed: map[string][]int{"demo-daily": {100}}},
			{scopes: both, allowed: false, exceeded: []string{"demo-daily"}, action: budget.Block},
			{charge: 500, scopes: both},
		}},
		{"one charge crosses all three", []budget.Budget{tenant}, []step{
			{charge: 10_000, scopes: both, crossed: map[string][]int{"demo-daily": {50, 80, 100}}},
			{scopes: both, allowed: false, exceeded: []string{"demo-daily"}, action: budget.Block},
		}},
		{"each key has its own counter", []budget.Budget{eachKey}, []step{
			{charge: 400, scopes: both, crossed: map[string][]int{"per-key": {50, 80, 100}}},
			{scopes: both, allowed: false, exceeded: []string{"per-key"}, action: budget.Downgrade},
			{scopes: []budget.Scope{{Kind: budget.Key, ID: "other-key"}}, allowed: true, remaining: 1},
			{charge: 200, scopes: []budget.Scope{{Kind: budget.Key, ID: "other-key"}}, crossed: map[string][]int{"per-key": {50}}},
		}},
		{"alert budgets never disallow", []budget.Budget{tenant, alert}, []step{
			{charge: 100, scopes: both, crossed: map[string][]int{"watch": {50, 80, 100}}},
			{scopes: both, allowed: true, exceeded: []string{"watch"}, remaining: 0, action: budget.Alert},
		}},
		{"remaining is the smallest share left", []budget.Budget{tenant, eachKey}, []step{
			{charge: 100, scopes: both},
			{scopes: both, allowed: true, remaining: 0.75},
		}},
		{"block outranks downgrade", []budget.Budget{tenant, eachKey}, []step{
			{charge: 1000, scopes: both, crossed: map[string][]int{"demo-daily": {50, 80, 100}, "per-key": {50, 80, 100}}},
			{scopes: both, allowed: false, exceeded: []string{"demo-daily", "per-key"}, action: budget.Block},
		}},
		{"a scope given twice counts once", []budget.Budget{tenant}, []step{
			{charge: 500, scopes: []budget.Scope{demo, demo}, crossed: map[string][]int{"demo-daily": {50}}},
			{scopes: both, allowed: true, remaining: 0.5},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := &clock{now: date("2026-11-22T10:00:00Z")}
			tr := newTracker(t, budget.NewMemoryStore(clk.Now), clk, nil, tt.budgets...)
			for i, s := range tt.steps {
				if s.charge == 0 {
					checkStep(t, i, tr, s)
					continue
				}
				got, err := tr.Charge(context.Background(), s.scopes, s.charge)
				if err != nil {
					t.Fatalf("step %d: Charge: %v", i, err)
				}
				if diff := cmp.Diff(s.crossed, crossedByBudget(got)); diff != "" {
					t.Errorf("step %d: crossings (-want +got):\n%s", i, diff)
				}
			}
		})
	}
}

func checkStep(t *testing.T, i int, tr *budget.Tracker, s step) {
	t.Helper()
	d, err := tr.Check(context.Background(), s.scopes)
	if err != nil {
		t.Fatalf("step %d: Check: %v", i, err)
	}
	var names []string
	for _, b := range d.Exceeded {
		names = append(names, b.Name)
	}
	if d.Allowed != s.allowed || !cmp.Equal(names, s.exceeded) || d.Action() != s.action {
		t.Errorf("step %d: Check = allowed %v, exceeded %v, action %q; want %v, %v, %q",
			i, d.Allowed, names, d.Action(), s.allowed, s.exceeded, s.action)
	}
	if d.RemainingFraction < s.remaining-1e-9 || d.RemainingFraction > s.remaining+1e-9 {
		t.Errorf("step %d: RemainingFraction = %v, want %v", i, d.RemainingFraction, s.remaining)
	}
}

func crossedByBudget(cs []budget.Crossing) map[string][]int {
	if len(cs) == 0 {
		return nil
	}
	out := map[string][]int{}
	for _, c := range cs {
		out[c.Budget.Name] = append(out[c.Budget.Name], c.Threshold)
	}
	return out
}

func TestNewPeriodStartsFromZero(t *testing.T) {
	clk := &clock{now: date("2026-11-22T23:59:00Z")}
	store := budget.NewMemoryStore(clk.Now)
	tr := newTracker(t, store, clk, nil, budget.Budget{Name: "d", Scope: demo, Period: daily, LimitMicros: 100})
	ctx := context.Background()
	if got, _ := tr.Charge(ctx, []budget.Scope{demo}, 100); len(got) != 3 {
		t.Fatalf("first day: %d crossings, want 3", len(got))
	}
	clk.Set(date("2026-11-23T00:00:01Z"))
	if d, _ := tr.Check(ctx, []budget.Scope{demo}); !d.Allowed || d.RemainingFraction != 1 {
		t.Errorf("next day: %+v, want a fresh budget", d)
	}
	got, _ := tr.Charge(ctx, []budget.Scope{demo}, 60)
	if len(got) != 1 || got[0].Threshold != 50 || !got[0].PeriodStart.Equal(date("2026-11-23T00:00:00Z")) {
		t.Errorf("next day: crossings %+v, want 50%% of the new period", got)
	}
}

func TestChargeAmounts(t *testing.T) {
	clk := &clock{now: date("2026-11-22T10:00:00Z")}
	tr := newTracker(t, budget.NewMemoryStore(clk.Now), clk, nil, budget.Budget{Name: "d", Scope: demo, Period: daily, LimitMicros: 100})
	if _, err := tr.Charge(context.Background(), []budget.Scope{demo}, -1); !errors.Is(err, budget.ErrNegativeCharge) {
		t.Errorf("negative charge: %v, want ErrNegativeCharge", err)
	}
	if got, err := tr.Charge(context.Background(), []budget.Scope{demo}, 0); err != nil || got != nil {
		t.Errorf("zero charge: %v, %v", got, err)
	}
}

// failing is a Store whose every call fails.
type failing struct{}

func (failing) Spent(context.Context, []string) ([]int64, error) { return nil, errors.New("down") }
func (failing) Add(context.Context, []budget.Add) ([]budget.Added, error) {
	return nil, errors.New("down")
}

func TestStoreErrorsAreReturned(t *testing.T) {
	clk := &clock{now: date("2026-11-22T10:00:00Z")}
	tr := newTracker(t, failing{}, clk, nil, budget.Budget{Name: "d", Scope: demo, Period: daily, LimitMicros: 100})
	if _, err := tr.Check(context.Background(), []budget.Scope{demo}); err == nil {
		t.Error("Check: no error from a failing store")
	}
	if _, err := tr.Charge(context.Background(), []budget.Scope{demo}, 1); err == nil {
		t.Error("Charge: no error from a failing store")
	}
}

// TestCrossingsExactlyOnce charges from many goroutines through two
// trackers (two replicas) sharing one store, across the 80% line.
func TestCrossingsExactlyOnce(t *testing.T) {
	testExactlyOnce(t, func(now func() time.Time) budget.Store { return budget.NewMemoryStore(now) })
}

func testExactlyOnce(t *testing.T, newStore func(now func() time.Time) budget.Store) {
	clk := &clock{now: date("2026-11-22T10:00:00Z")}
	b := budget.Budget{Name: "demo-monthly", Scope: demo, Period: budget.Period{Kind: budget.Monthly}, LimitMicros: 10_000}
	rec := &recorder{}
	store := newStore(clk.Now)
	replicas := []*budget.Tracker{
		newTracker(t, store, clk, rec, b),
		newTracker(t, newStoreOrSame(store, newStore, clk), clk, rec, b),
	}
	ctx := context.Background()
	if got, err := replicas[0].Charge(ctx, []budget.Scope{demo}, 7_900); err != nil || len(got) != 1 {
		t.Fatalf("setup charge: %v, %v; want the 50%% crossing", got, err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var returned []budget.Crossing
	for i := range 100 {
		wg.Go(func() {
			got, err := replicas[i%2].Charge(ctx, []budget.Scope{demo, key1}, 10) // 7,900 → 8,900
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			returned = append(returned, got...)
			mu.Unlock()
		})
	}
	wg.Wait()
	if len(returned) != 1 || returned[0].Threshold != 80 || returned[0].SpentMicros != 8_000 {
		t.Fatalf("100 concurrent charges across 80%%: crossings %+v, want exactly one 80%% at 8000", returned)
	}
	if n := len(rec.crossings()); n != 2 { // 50% from setup, 80% now
		t.Errorf("notifier saw %d crossings, want 2", n)
	}
	d, err := replicas[1].Check(ctx, []budget.Scope{demo})
	if err != nil || d.RemainingFraction < 0.11-1e-9 || d.RemainingFraction > 0.11+1e-9 {
		t.Errorf("Check after: %+v, %v; want 11%% left", d, err)
	}
}

// newStoreOrSame gives the second replica its own connection to a shared
// store when the store has connections (Redis), else the same store.
func newStoreOrSame(s budget.Store, newStore func(func() time.Time) budget.Store, clk *clock) budget.Store {
	if _, ok := s.(*budget.MemoryStore); ok {
		return s
	}
	return newStore(clk.Now)
}

func TestCrossingID(t *testing.T) {
	b := budget.Budget{Name: "a/b", Scope: budget.Scope{Kind: budget.User, ID: "x/y@z"}, Period: daily, LimitMicros: 1}
	c := budget.Crossing{Budget: b, Threshold: 80, PeriodStart: date("2026-11-22T00:00:00Z")}
	if got, want := c.ID(), "a%2Fb/user/x%2Fy@z/1795305600/80"; got != want {
		t.Errorf("ID() = %q, want %q", got, want)
	}
}

// TestTrackerAllocates: a check and a charge of the in-process store
// keep their keys, totals and results in the tracker's arrays. Called
// through the Store interface, every one would be on the heap, and every
// other test would still pass.
func TestTrackerAllocates(t *testing.T) {
	clk := &clock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	tr := newTracker(t, budget.NewMemoryStore(clk.Now), clk, nil,
		budget.Budget{Name: "tenant", Scope: demo, Period: daily, LimitMicros: 1 << 50},
		budget.Budget{Name: "per-key", Scope: budget.Scope{Kind: budget.Key, ID: budget.Each}, Period: daily, LimitMicros: 1 << 50})
	ctx, scopes := context.Background(), []budget.Scope{demo, key1}
	if _, err := tr.Charge(ctx, scopes, 1); err != nil { // the counters and their keys exist from here
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(100, func() { _, _ = tr.Check(ctx, scopes) }); n != 0 {
		t.Errorf("Check: %v allocations, want 0", n)
	}
	if n := testing.AllocsPerRun(100, func() { _, _ = tr.Charge(ctx, scopes, 1) }); n != 0 {
		t.Errorf("Charge: %v allocations, want 0", n)
	}
}
