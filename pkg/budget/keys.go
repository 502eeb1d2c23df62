package budget

import (
	"sync"
	"time"
)

// keyCache keeps the counter keys of the scopes and periods that come
// back on every request (the same callers, in the same period), so that
// checking and charging a budget does not build its key each time. It is
// bounded: once full it starts again empty, and keys are built anew.
type keyCache struct {
	mu sync.RWMutex
	m  map[counterOf]string
}

type counterOf struct {
	b     *tracked
	id    string
	start int64
}

// maxKeys bounds the cache.
const maxKeys = 4096

// get is b.key(s, start), from the cache when it holds it.
func (c *keyCache) get(b *tracked, s Scope, start time.Time) string {
	k := counterOf{b, s.ID, start.UnixNano()}
	c.mu.RLock()
	key, ok := c.m[k]
	c.mu.RUnlock()
	if ok {
		return key
	}
	key = b.key(s, start)
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxKeys {
		c.m = make(map[counterOf]string)
	}
	c.m[k] = key
	c.mu.Unlock()
	return key
}
