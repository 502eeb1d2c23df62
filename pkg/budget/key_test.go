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
