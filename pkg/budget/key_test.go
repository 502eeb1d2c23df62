package budget

import (
	"fmt"
	"testing"
	"time"
)

// TestTrackedKeyIsCounterKey holds the prebuilt key to counterKey, which
// Crossing.ID and every stored counter rely on.
func TestTrackedKeyIsCounterKey(t *testing.T) {
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name  string
		scope Scope
		as    Scope
	}{
		{"monthly", Scope{Tenant, "acme"}, Scope{Tenant, "acme"}},
		{"each key", Scope{Key, Each}, Scope{Key, "WLyQKL2d"}},
		{"needs escaping/ä b", Scope{Team, "acme/search"}, Scope{Team, "acme/search"}},
		{"each user", Scope{User, Each}, Scope{User, "a b/c%d@example.com"}},
		{"long " + string(make([]byte, 200)), Scope{Tenant, Each}, Scope{Tenant, string(make([]byte, 100))}},
	} {
		b := Budget{Name: tt.name, Scope: tt.scope}
		applied := b
		applied.Scope = tt.as
		if got, want := newTracked(b).key(tt.as, start), counterKey(applied, start); got != want {
			t.Errorf("%q as %v: key %q, want %q", tt.name, tt.as, got, want)
		}
	}
}

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
