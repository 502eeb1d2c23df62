package budget

import (
	"time"
)

// counterOf identifies a counter key: the budget, the scope's ID and the
// period's start. The same callers come back in the same period on every
// request, so Tracker keeps their keys (see memo) rather than building
// them each time.
type counterOf struct {
	b     *tracked
	id    string
	start int64 // Unix seconds, all key reads of the start
}

// maxKeys bounds the keys a Tracker keeps.
const maxKeys = 4096

// key is counterKey of the budget applied to the scope with ID c.id (the
// budget's own for a named scope).
func (c counterOf) key() string {
	b := c.b.Budget
	b.Scope.ID = c.id
	return counterKey(b, time.Unix(c.start, 0))
}

// counterKeyOf is counterKey of b applied to s, kept in t.keys.
func (t *Tracker) counterKeyOf(b *tracked, s Scope, start time.Time) string {
	return t.keys.Get(counterOf{b, s.ID, start.Unix()}, counterOf.key)
}
