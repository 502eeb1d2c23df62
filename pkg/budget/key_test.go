package budget

import (
	"fmt"
	"testing"
	"time"
)

// TestCounterKeyOf checks the kept keys against counterKey, past the
// bound of what a Tracker keeps.
func TestCounterKeyOf(t *testing.T) {
	tr, err := NewTracker(NewMemoryStore(time.Now), nil)
	if err != nil {
		t.Fatal(err)
	}
	b := newTracked(Budget{Name: "each", Scope: Scope{User, Each}})
	start := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	for round := range 2 {
		for i := range maxKeys + 10 {
			s := Scope{User, fmt.Sprintf("u%d@example.com", i)}
			applied := b.Budget
			applied.Scope = s
			if got, want := tr.counterKeyOf(b, s, start), counterKey(applied, start); got != want {
				t.Fatalf("round %d: key %q, want %q", round, got, want)
			}
		}
		if n := tr.keys.Len(); n > maxKeys {
			t.Fatalf("%d keys kept, over %d", n, maxKeys)
		}
	}
}

// TestTrackedBounds: the remembered period is the one Period.Bounds gives,
// as time moves on across boundaries and as a clock steps back.
func TestTrackedBounds(t *testing.T) {
	base := time.Date(2026, 11, 30, 22, 0, 0, 0, time.UTC)
	// 22:46 is a window boundary (anchor + 45m) and 00:00 on December 1
	// a day's and a month's; a nanosecond either side of it follows.
	steps := []time.Duration{0, 46 * time.Minute, 74 * time.Minute, -1, 1, 90 * time.Minute, 3 * time.Hour,
		-4 * time.Hour, 40 * 24 * time.Hour, -time.Second, 0}
	for _, p := range []Period{{Kind: Daily}, {Kind: Monthly}, {Kind: Window, Every: 45 * time.Minute, Anchor: base.Add(time.Minute)}} {
		b := newTracked(Budget{Name: "b", Period: p})
		now := base
		for _, d := range steps {
			now = now.Add(d)
			start, end := b.bounds(now)
			wantStart, wantEnd := p.Bounds(now)
			if !start.Equal(wantStart) || !end.Equal(wantEnd) {
				t.Fatalf("%v at %s: bounds %s..%s, Period.Bounds %s..%s", p.Kind, now, start, end, wantStart, wantEnd)
			}
		}
	}
}
