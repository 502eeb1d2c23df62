// Package cache is Sluice's exact response cache, and the stage that also
// consults the semantic cache. A chat completion request whose tenant,
// resolved model and every output-changing parameter match a stored one
// is answered locally, as JSON or as a replayed SSE stream, without
// calling the provider.
//
// The request stage runs after admission and before routing; its key is
// computed from the body after data protection pseudonymized it, so raw
// PII never becomes part of a key. The response stage runs between the
// route stage (which translated the provider's answer) and the guard
// stage (which restores pseudonyms), so what is stored is what the
// provider said; the entry is written when the exchange ends, once the
// guard has had its say. See README.md.
package cache

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/redis/go-redis/v9"

	"github.com/sluice-gw/sluice/pkg/budget"
	"github.com/sluice-gw/sluice/pkg/config"
	"github.com/sluice-gw/sluice/pkg/pipeline"
)

// Header marks every cacheable request's answer: hit or miss.
const Header = "x-sluice-cache"

// The values of Header and of Outcome.Cache.
const (
	Hit  = "hit"
	Miss = "miss"
)

// Options are what the stage needs from the rest of Sluice.
type Options struct {
	// Shared is the Redis the replicas share and Sluice's key prefix
	// (admit.State.Shared); the redis store uses it.
	Shared func() (*redis.Client, string)
	// Record takes a hit's usage record, as the account stage records a
	// provider call's. Nil: hits are not recorded.
	Record func(x *pipeline.Exchange, rec budget.UsageRecord)
	// Semantic builds the semantic index for cache.semantic. Nil: the
	// semantic settings are accepted but only exact matches are served.
	Semantic SemanticFactory
}

// Stage is the cache stage: a request stage (lookup) and a response
// stage (capture).
type Stage struct {
	opts  Options
	log   *slog.Logger
	mu    sync.Mutex // serialises reloads
	cur   atomic.Pointer[state]
	mem   *Memory
	live  sync.Map // *pipeline.Exchange → *capture
	stats Stats
	adds  sync.WaitGroup // semantic index additions under way
}

// state is what one config's cache settings built.
type state struct {
	cfg   *config.Cache
	store Store
	sem   Semantic
	semOf *config.SemanticCache // the settings sem was built from
}

// Stats counts what the cache did since start.
type Stats struct {
	Hits, Misses, SemanticHits atomic.Uint64
	Stored, NotStored          atomic.Uint64
	// Errors counts store failures (a Redis outage): each is a miss.
	Errors atomic.Uint64
	// SemanticErrors counts embedding failures passed over as misses
	// (cache.semantic.fail_open).
	SemanticErrors atomic.Uint64
}

// New returns the cache stage. Reload must run before it serves.
func New(log *slog.Logger, opts Options) *Stage {
	s := &Stage{opts: opts, log: log}
	s.cur.Store(&state{})
	return s
}

// Name implements pipeline.RequestStage and pipeline.ResponseStage.
func (*Stage) Name() string { return "cache" }

// Stats is what the cache has done so far.
func (s *Stage) Stats() *Stats { return &s.stats }

// Memory is the in-process store, nil until a config uses it.
func (s *Stage) Memory() *Memory {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mem
}

// Reload builds snap's store and semantic index. The memory store keeps
// its entries across reloads; a semantic index is rebuilt only when its
// settings change.
func (s *Stage) Reload(_ context.Context, snap *config.Snapshot) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := snap.Cache
	old := s.cur.Load()
	if c == nil {
		s.cur.Store(&state{})
		s.mem = nil
		closeSemantic(s.log, old.sem)
		return nil
	}
	st := &state{cfg: c}
	switch c.Store {
	case config.CacheRedis:
		st.store = NewRedis(s.opts.Shared, c.MaxEntryBytes)
		s.mem = nil // its answers are no longer served; let them go
	default:
		if s.mem == nil {
			s.mem = NewMemory(c.MaxTotalBytes)
		} else {
			s.mem.Resize(c.MaxTotalBytes)
		}
		st.store = s.mem
	}
	if err := s.semantic(snap, old, st); err != nil {
		return err
	}
	s.cur.Store(st)
	if old.sem != nil && old.sem != st.sem {
		closeSemantic(s.log, old.sem)
	}
	return nil
}

func (s *Stage) semantic(snap *config.Snapshot, old, st *state) error {
	sc := snap.Cache.Semantic
	if sc == nil || s.opts.Semantic == nil {
		return nil
	}
	if old.sem != nil && old.semOf != nil && *old.semOf == *sc {
		st.sem, st.semOf = old.sem, old.semOf
		return nil
	}
	ix, err := s.opts.Semantic(snap, sc)
	if err != nil {
		return err
	}
	st.sem, st.semOf = ix, sc
	return nil
}

func closeSemantic(log *slog.Logger, ix Semantic) {
	if ix == nil {
		return
	}
	if err := ix.Close(); err != nil {
		log.Warn("closing the semantic cache index", "err", err)
	}
}

// Wait returns once the semantic index additions under way are done.
func (s *Stage) Wait() { s.adds.Wait() }

// Close releases the semantic index, once the additions under way are
// done.
func (s *Stage) Close() error {
	s.adds.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.cur.Swap(&state{})
	if st.sem != nil {
		return st.sem.Close()
	}
	return nil
}

// control is what the client's Cache-Control asks of the cache.
type control struct{ noCache, noStore bool }

func cacheControl(v string) control {
	var c control
	for part := range strings.SplitSeq(v, ",") {
		name, _, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch strings.ToLower(name) {
		case "no-cache":
			c.noCache = true
		case "no-store":
			c.noStore = true
		}
	}
	return c
}
