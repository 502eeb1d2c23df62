package cache

import (
	"container/list"
	"context"
	"sync"
	"time"

	"github.com/sluice-gw/sluice/pkg/translate"
)

// Entry is one stored answer.
type Entry struct {
	// Body is the chat completion (a chat.completion object, whether the
	// answer was streamed or not) as the provider gave it, translated to
	// the client's format: pseudonymized values are still placeholders.
	Body []byte
	// Usage is what the provider reported for it: a hit saves its cost.
	Usage translate.Usage
	// Stored is when the answer was stored.
	Stored time.Time
}

func (e *Entry) size() int64 { return int64(len(e.Body)) + entryOverhead }

// entryOverhead approximates an entry's memory beyond its body: the key,
// the list element and the map slot.
const entryOverhead = 256

// Store keeps entries by key. Implementations are safe for concurrent use.
type Store interface {
	// Get returns the entry under key; ok is false when there is none or
	// it has expired.
	Get(ctx context.Context, key string) (e *Entry, ok bool, err error)
	// Set stores e under key for ttl. An entry over the store's bound is
	// not stored, with an error.
	Set(ctx context.Context, key string, e *Entry, ttl time.Duration) error
}

// Memory is an in-process store bounded in bytes, evicting the least
// recently used entries first. Expired entries are dropped when found.
type Memory struct {
	mu       sync.Mutex
	max      int64
	used     int64
	order    *list.List // front: most recently used
	entries  map[string]*list.Element
	now      func() time.Time
	evicted  uint64
	expiries uint64
}

type memEntry struct {
	key     string
	e       *Entry
	expires time.Time
}

// NewMemory returns a memory store holding up to maxBytes.
func NewMemory(maxBytes int64) *Memory {
	return &Memory{max: maxBytes, order: list.New(), entries: map[string]*list.Element{}, now: time.Now}
}

// Resize changes the bound, evicting at once if the store is now over it.
func (m *Memory) Resize(maxBytes int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.max = maxBytes
	m.evict()
}

// Get implements Store.
func (m *Memory) Get(_ context.Context, key string) (*Entry, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	el, ok := m.entries[key]
	if !ok {
		return nil, false, nil
	}
	me := el.Value.(*memEntry)
	if !m.now().Before(me.expires) {
		m.remove(el)
		m.expiries++
		return nil, false, nil
	}
	m.order.MoveToFront(el)
	return me.e, true, nil
}

// Set implements Store. An entry larger than the whole store is not kept.
func (m *Memory) Set(_ context.Context, key string, e *Entry, ttl time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if e.size() > m.max {
		return errTooLarge
	}
	if el, ok := m.entries[key]; ok {
		m.remove(el)
	}
	m.entries[key] = m.order.PushFront(&memEntry{key: key, e: e, expires: m.now().Add(ttl)})
	m.used += e.size()
	m.evict()
	return nil
}

// Len is the number of entries held, and their approximate bytes.
func (m *Memory) Len() (entries int, bytes int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.entries), m.used
}

func (m *Memory) evict() {
	for m.used > m.max {
		el := m.order.Back()
		if el == nil {
			return
		}
		m.remove(el)
		m.evicted++
	}
}

func (m *Memory) remove(el *list.Element) {
	me := el.Value.(*memEntry)
	m.order.Remove(el)
	delete(m.entries, me.key)
	m.used -= me.e.size()
}
