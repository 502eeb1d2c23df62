// Package limitstest holds what the limits backends' tests share: a fake
// clock, a real redis-server started per test, latency percentiles, and the
// conformance suite every limits.Limiter must pass.
package limitstest

import (
	"sync"
	"time"
)

// Clock is a manual clock: it moves only when told to.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock stopped at a fixed instant.
func NewClock() *Clock {
	return &Clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
}

// Now is the clock's reading; pass it as a limiter's Now option.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}
