// Package semcache is the semantic cache's index: it remembers, per scope,
// the embedding of each cached request's last user message and the exact
// cache key of its answer, and finds the stored request that means the
// same as a new one.
//
// Scopes are opaque strings the caller builds (tenant, model and a hash of
// the earlier conversation); an entry is only ever compared with entries of
// its own scope. Within a scope the search is exact: a 256-bit sign sketch
// of every vector discards unrelated entries with four XOR-popcounts each,
// and the survivors are scored by an int8 dot product. Entries are bounded
// by count (least recently used first) and age, and, with Redis, written to
// a stream that warms new replicas and carries each replica's additions to
// the others.
package semcache

import (
	"cmp"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"
	"github.com/redis/go-redis/v9"
)

// Errors wrapped by Lookup and Add; test them with errors.Is.
var (
	// ErrUnavailable: the embeddings backend gave no usable answer (a
	// timeout, a refused connection, a non-2xx status, a malformed answer,
	// or the circuit breaker being open). The caller decides whether that
	// is a miss (fail open) or an error.
	ErrUnavailable = errors.New("embeddings unavailable")
	// ErrBreakerOpen: calls to the backend are suspended after repeated
	// failures. It always comes with ErrUnavailable.
	ErrBreakerOpen = errors.New("embeddings circuit breaker open")
	// ErrDimensions: the embedder returned a vector whose length differs
	// from the index's, as after switching embedding models.
	ErrDimensions = errors.New("embedding dimension mismatch")
	// ErrPersist: the entry is in this replica's index but could not be
	// written to Redis.
	ErrPersist = errors.New("semantic cache entry not persisted")
	// ErrClosed: the index was closed.
	ErrClosed = errors.New("semantic index closed")
)

// Defaults for zero Options fields.
const (
	DefaultMaxEntries   = 10000
	DefaultTTL          = time.Hour
	DefaultSyncInterval = time.Second
)

// memoSize bounds the recently embedded texts kept so that the Add after
// a missed Lookup of the same text does not embed it again.
const (
	memoSize = 4096
	memoTTL  = 5 * time.Minute
)

// Options configures an Index. Zero fields take the defaults above.
type Options struct {
	// Embedder turns text into vectors. Required.
	Embedder Embedder
	// MaxEntries bounds this replica's entries; the least recently used
	// go first.
	MaxEntries int
	// TTL is how long an entry is served after it was added.
	TTL time.Duration
	// Redis returns the shared client and key prefix for persistence and
	// warm start; nil keeps the index in memory only. It is called on
	// each use, so a reloaded client is picked up.
	Redis func() (*redis.Client, string)
	// SyncInterval is how often entries other replicas added are read
	// from Redis.
	SyncInterval time.Duration
	// Logger receives Redis failures; nil discards them. Texts and
	// vectors are never logged.
	Logger *slog.Logger
}

// Embedder turns texts into vectors, one per text, in order.
type Embedder interface {
	Embed(ctx context.Context, texts []string) ([][]float32, error)
}

// Index is a semantic index. It is safe for concurrent use.
type Index struct {
	embedder   Embedder
	maxEntries int
	ttl        time.Duration
	log        *slog.Logger
	now        func() time.Time
	memo       *expirable.LRU[[32]byte, quantized]

	mu     sync.RWMutex
	store  *store
	closed bool

	persist *persister // nil without Redis
	stop    chan struct{}
	done    chan struct{}
}

// New builds an Index and, with Redis, loads the most recent entries and
// starts following other replicas' additions. An unreachable Redis is
// logged and retried by the sync loop; it never fails New.
func New(opts Options) (*Index, error) {
	if opts.Embedder == nil {
		return nil, errors.New("semcache: an embedder is required")
	}
	if opts.MaxEntries < 0 || opts.TTL < 0 || opts.SyncInterval < 0 {
		return nil, errors.New("semcache: max entries, TTL and sync interval must not be negative")
	}
	ix := &Index{
		embedder:   opts.Embedder,
		maxEntries: cmp.Or(opts.MaxEntries, DefaultMaxEntries),
		ttl:        cmp.Or(opts.TTL, DefaultTTL),
		log:        opts.Logger,
		now:        time.Now,
		memo:       expirable.NewLRU[[32]byte, quantized](memoSize, nil, memoTTL),
		stop:       make(chan struct{}),
		done:       make(chan struct{}),
	}
	if ix.log == nil {
		ix.log = slog.New(slog.DiscardHandler)
	}
	ix.store = newStore()
	if opts.Redis != nil {
		ix.persist = newPersister(opts.Redis, ix.maxEntries)
		ix.warm(context.Background())
	}
	go ix.loop(cmp.Or(opts.SyncInterval, DefaultSyncInterval))
	return ix, nil
}

// Lookup embeds text and returns the key of the most similar live entry in
// scope whose cosine similarity is at least threshold. An empty text is a
// miss, without an embedding call.
func (ix *Index) Lookup(ctx context.Context, scope, text string, threshold float32) (key string, score float32, ok bool, err error) {
	if text == "" {
		return "", 0, false, nil
	}
	ix.mu.RLock()
	empty := ix.store.scopeLen(scope) == 0
	closed := ix.closed
	ix.mu.RUnlock()
	if closed {
		return "", 0, false, ErrClosed
	}
	if empty {
		// Nothing to compare with: skip the embedding, which the Add
		// that follows a miss would pay for anyway.
		return "", 0, false, nil
	}
	q, err := ix.embed(ctx, text)
	if err != nil {
		return "", 0, false, err
	}
	return ix.search(scope, q, threshold)
}

// search finds the best entry for a quantised query already embedded.
func (ix *Index) search(scope string, q quantized, threshold float32) (string, float32, bool, error) {
	ix.mu.RLock()
	if err := ix.store.checkDims(len(q.q)); err != nil {
		ix.mu.RUnlock()
		return "", 0, false, err
	}
	best, score := ix.store.search(scope, q, threshold, ix.cutoff())
	var key string
	if best != nil {
		key = best.key
	}
	ix.mu.RUnlock()
	if best == nil {
		return "", 0, false, nil
	}
	ix.mu.Lock()
	ix.store.touch(best)
	ix.mu.Unlock()
	return key, score, true, nil
}

// Add stores text's embedding in scope under key, replacing an entry with
// the same scope and key. With Redis, the entry is also written there; an
// error wrapping ErrPersist means only this replica has it.
func (ix *Index) Add(ctx context.Context, scope, text, key string) error {
	if text == "" || key == "" {
		return nil
	}
	q, err := ix.embed(ctx, text)
	if err != nil {
		return err
	}
	e := newEntry(scope, key, q, ix.now())
	ix.mu.Lock()
	if ix.closed {
		ix.mu.Unlock()
		return ErrClosed
	}
	err = ix.store.add(e, ix.maxEntries)
	ix.mu.Unlock()
	if err != nil || ix.persist == nil {
		return err
	}
	if err := ix.persist.write(ctx, e); err != nil {
		return fmt.Errorf("semcache: %w: %w", ErrPersist, err)
	}
	return nil
}

// Len is the number of entries held, expired ones not yet swept included.
func (ix *Index) Len() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.store.len()
}

// Close stops following Redis. Lookups and Adds then fail with ErrClosed.
func (ix *Index) Close() error {
	ix.mu.Lock()
	if ix.closed {
		ix.mu.Unlock()
		return nil
	}
	ix.closed = true
	ix.mu.Unlock()
	close(ix.stop)
	<-ix.done
	return nil
}

// embed returns text's quantised unit vector, from the memo when it was
// embedded recently. The memo holds no text, only its hash.
func (ix *Index) embed(ctx context.Context, text string) (quantized, error) {
	h := sha256.Sum256([]byte(text))
	if q, ok := ix.memo.Get(h); ok {
		return q, nil
	}
	vs, err := ix.embedder.Embed(ctx, []string{text})
	if err != nil {
		return quantized{}, fmt.Errorf("semcache: %w", err)
	}
	if len(vs) != 1 {
		return quantized{}, fmt.Errorf("semcache: %w: %d vectors for one text", ErrUnavailable, len(vs))
	}
	u, err := normalize(vs[0])
	if err != nil {
		return quantized{}, fmt.Errorf("semcache: %w: %w", ErrUnavailable, err)
	}
	q := quantize(u)
	ix.memo.Add(h, q)
	return q, nil
}

// cutoff is the oldest added time still served, in Unix nanoseconds.
func (ix *Index) cutoff() int64 {
	return ix.now().Add(-ix.ttl).UnixNano()
}

// loop sweeps expired entries and follows Redis until Close.
func (ix *Index) loop(interval time.Duration) {
	defer close(ix.done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ix.stop:
			return
		case <-t.C:
		}
		ix.mu.Lock()
		ix.store.sweep(ix.cutoff())
		ix.mu.Unlock()
		if ix.persist != nil {
			ctx, cancel := context.WithTimeout(context.Background(), interval)
			ix.sync(ctx)
			cancel()
		}
	}
}
