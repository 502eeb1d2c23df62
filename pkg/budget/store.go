package budget

import (
	"context"
	"sync"
	"time"
)

// Store holds budget counters: one per budget, scope and period, named by a
// key the Tracker builds. Implementations must make each Add atomic per
// counter (the increment and the marks it fires happen together, with no
// other Add in between): that is what makes each crossing reported exactly
// once when many requests, on many replicas, charge at the same time.
type Store interface {
	// Spent returns each counter's total, 0 for a counter never added to.
	Spent(ctx context.Context, keys []string) ([]int64, error)
	// Add adds to counters and reports, for each, its new total and the
	// marks it reached for the first time in the counter's life.
	Add(ctx context.Context, adds []Add) ([]Added, error)
}

// Add is one counter increment.
type Add struct {
	Key    string
	Amount int64
	// Marks are tested after adding: a mark fires, once, the first time the
	// total is at least its At.
	Marks []Mark
	// ExpireAt is when the counter may be forgotten, after its period ends.
	ExpireAt time.Time
}

// Mark is a named level of a counter.
type Mark struct {
	Name string
	At   int64
}

// Added is the result of one Add.
type Added struct {
	Total int64
	Fired []string // names of the marks that fired
}

// MemoryStore keeps counters in this process. It suits a single replica and
// tests; replicas that share budgets need a shared store such as RedisStore.
type MemoryStore struct {
	now func() time.Time

	mu        sync.Mutex
	counters  map[string]*memCounter
	nextSweep time.Time
}

type memCounter struct {
	total    int64
	fired    map[string]bool
	expireAt time.Time
}

// NewMemoryStore returns an empty store. now tells it when counters have
// expired; nil means time.Now.
func NewMemoryStore(now func() time.Time) *MemoryStore {
	if now == nil {
		now = time.Now
	}
	return &MemoryStore{now: now, counters: make(map[string]*memCounter)}
}

// Spent implements Store.
func (s *MemoryStore) Spent(_ context.Context, keys []string) ([]int64, error) {
	return s.spent(keys, make([]int64, 0, len(keys))), nil
}

// spent appends the totals of keys to out.
func (s *MemoryStore) spent(keys []string, out []int64) []int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range keys {
		var total int64
		if c := s.counters[k]; c != nil {
			total = c.total
		}
		out = append(out, total)
	}
	return out
}

// Add implements Store. All the adds of one call happen under one lock.
func (s *MemoryStore) Add(_ context.Context, adds []Add) ([]Added, error) {
	return s.add(adds, make([]Added, 0, len(adds))), nil
}

// add appends the results of adds to out.
func (s *MemoryStore) add(adds []Add, out []Added) []Added {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweep()
	for _, a := range adds {
		c := s.counters[a.Key]
		if c == nil {
			c = &memCounter{fired: make(map[string]bool)}
			s.counters[a.Key] = c
		}
		c.total += a.Amount
		c.expireAt = a.ExpireAt
		r := Added{Total: c.total}
		for _, m := range a.Marks {
			if c.total >= m.At && !c.fired[m.Name] {
				c.fired[m.Name] = true
				r.Fired = append(r.Fired, m.Name)
			}
		}
		out = append(out, r)
	}
	return out
}

// sweep forgets expired counters, at most once a minute.
func (s *MemoryStore) sweep() {
	now := s.now()
	if now.Before(s.nextSweep) {
		return
	}
	s.nextSweep = now.Add(time.Minute)
	for k, c := range s.counters {
		if now.After(c.expireAt) {
			delete(s.counters, k)
		}
	}
}
