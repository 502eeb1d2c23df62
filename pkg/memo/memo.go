// Package memo keeps values that are built from a key and asked for again
// and again (counter names, cache keys), so a hot path reads them instead
// of building and allocating them each time.
//
// A Map is bounded: the keys come from requests (tenants, teams, keys),
// so without a bound it would grow with whatever callers send. When full
// it starts again empty, and values are simply built anew.
package memo

import "sync"

// Map memoises V by K. The zero value is not usable; see New. Safe for
// concurrent use.
type Map[K comparable, V any] struct {
	mu  sync.RWMutex
	m   map[K]V
	max int
}

// New returns a Map holding at most limit values.
func New[K comparable, V any](limit int) *Map[K, V] {
	return &Map[K, V]{m: make(map[K]V), max: limit}
}

// Get returns the value kept for k, or builds it with build(k), keeps it
// and returns it. build must depend on k alone.
func (c *Map[K, V]) Get(k K, build func(K) V) V {
	c.mu.RLock()
	v, ok := c.m[k]
	c.mu.RUnlock()
	if ok {
		return v
	}
	v = build(k)
	c.mu.Lock()
	if len(c.m) >= c.max {
		clear(c.m)
	}
	c.m[k] = v
	c.mu.Unlock()
	return v
}

// Len is how many values are kept.
func (c *Map[K, V]) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
}
