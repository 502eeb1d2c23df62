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

func (c counterOf) key() string { return c.b.key(Scope{ID: c.id}, time.Unix(c.start, 0)) }

// counterKeyOf is b.key(s, start), kept in t.keys.
func (t *Tracker) counterKeyOf(b *tracked, s Scope, start time.Time) string {
	return t.keys.Get(counterOf{b, s.ID, start.Unix()}, counterOf.key)
}
