// Package usagestore keeps the usage records of every Sluice replica in
// the Redis they share, so that GET /admin/usage on any replica reports the
// whole deployment, and so that a replica's records outlive it.
//
// Records are summed per UTC hour and per group (tenant, team, key, user,
// model, backend, status, template) in one Redis hash per hour. A replica merges
// records into pending sums in memory and writes them in batches. A batch
// is applied by one Lua script that first claims the batch's id, so a
// batch retried after a lost reply is never counted twice. Writes that
// fail are retried until they succeed or the store is closed; Close
// flushes what is pending. Pending sums are bounded by the number of
// distinct groups, not by traffic; past MaxGroups new groups are dropped
// and counted, never silently.
package usagestore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sluice-gw/sluice/pkg/budget"
)

// Options tune a Store. Zero values take the defaults.
type Options struct {
	// FlushEvery is how often pending sums are written. Default 1s.
	FlushEvery time.Duration
	// Retention is how long hourly sums are kept. Default 400 days, so a
	// year over year comparison still finds last year's month.
	Retention time.Duration
	// MaxGroups bounds the pending sums. Default 100,000.
	MaxGroups int
}

// Store writes usage records to Redis and reads them back as reports. It
// is safe for concurrent use.
type Store struct {
	shared func() (*redis.Client, string)
	opt    Options
	log    *slog.Logger

	mu      sync.Mutex
	pending map[groupHour]*sums
	failed  *batch // a batch that could not be written yet, retried first

	wake    chan struct{}
	stop    chan struct{}
	done    chan struct{}
	closing sync.Once

	dropped atomic.Uint64 // records not kept because MaxGroups was reached
	written atomic.Uint64 // records written to Redis
}

// groupHour is one hash field family: a group within an hour.
type groupHour struct {
	hour  int64  // Unix hour
	group string // the group's dimensions joined by sep
}

// sums are one group's totals within an hour.
type sums struct {
	records                                  int64
	requests, errors, cacheHits, estimated   int64
	in, out, cachedIn, cacheWrite, reasoning int64
	costMicros, latencyMicros                int64
}

// sep joins a group's dimensions; it cannot appear in tenant, key or model
// names that come from YAML or policy without being escaped.
const sep = "\x1f"

// fieldSep ends the group part of a hash field, before the measure name.
const fieldSep = "\x1e"

// New returns a store that writes to the Redis shared returns, under its
// key prefix ("sluice:" gives "sluice:usage:2026112214"), and starts its
// writer. shared is read on every write, so a config reload that replaces
// the Redis is followed. Close stops the writer.
func New(shared func() (*redis.Client, string), opt Options, log *slog.Logger) *Store {
	if opt.FlushEvery <= 0 {
		opt.FlushEvery = time.Second
	}
	if opt.Retention <= 0 {
		opt.Retention = 400 * 24 * time.Hour
	}
	if opt.MaxGroups <= 0 {
		opt.MaxGroups = 100_000
	}
	s := &Store{
		shared: shared, opt: opt, log: log,
		pending: map[groupHour]*sums{},
		wake:    make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{}),
	}
	go s.run()
	return s
}

// Add merges one record into the pending sums. It never blocks on Redis.
func (s *Store) Add(r budget.UsageRecord) {
	k := groupHour{hour: r.Time.Unix() / 3600, group: groupOf(&r)}
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.pending[k]
	if g == nil {
		if len(s.pending) >= s.opt.MaxGroups {
			s.dropped.Add(1)
			return
		}
		g = &sums{}
		s.pending[k] = g
	}
	g.add(&r)
}

// Dropped is how many records were not kept because too many distinct
// groups were pending while Redis could not be written.
func (s *Store) Dropped() uint64 { return s.dropped.Load() }

// Written is how many records reached Redis.
func (s *Store) Written() uint64 { return s.written.Load() }

// Flush asks the writer to write pending sums now.
func (s *Store) Flush() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Close stops the writer after one last flush, retried until ctx ends.
// It reports the records that could not be written.
func (s *Store) Close(ctx context.Context) error {
	s.closing.Do(func() { close(s.stop) })
	<-s.done
	var last error
	for {
		err := s.flush(ctx)
		if err == nil {
			return nil
		}
		last = err
		select {
		case <-ctx.Done():
			n := s.unwritten()
			return fmt.Errorf("usage: %d records not written to Redis: %w", n, last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (s *Store) run() {
	defer close(s.done)
	t := time.NewTicker(s.opt.FlushEvery)
	defer t.Stop()
	backoff := s.opt.FlushEvery
	var lastLogged time.Time
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
		case <-s.wake:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := s.flush(ctx)
		cancel()
		if err == nil {
			backoff = s.opt.FlushEvery
			continue
		}
		if time.Since(lastLogged) > 10*time.Second {
			s.log.Warn("writing usage records to Redis; keeping them to retry", "pending_records", s.unwritten(), "err", err)
			lastLogged = time.Now()
		}
		// Back off while Redis is away, up to 30 seconds between tries.
		backoff = min(2*backoff, 30*time.Second)
		select {
		case <-s.stop:
			return
		case <-time.After(backoff):
		}
	}
}

// flush writes the failed batch, if any, then the pending sums.
func (s *Store) flush(ctx context.Context) error {
	if s.unwritten() == 0 {
		return nil
	}
	rdb, prefix := s.shared()
	if rdb == nil {
		return errors.New("no Redis configured")
	}
	s.mu.Lock()
	b := s.failed
	if b == nil && len(s.pending) > 0 {
		b = newBatch(s.pending)
		s.pending = map[groupHour]*sums{}
	}
	s.failed = nil
	s.mu.Unlock()
	if b == nil {
		return nil
	}
	if err := b.apply(ctx, rdb, prefix, s.opt.Retention); err != nil {
		s.mu.Lock()
		s.failed = b
		s.mu.Unlock()
		return err
	}
	s.written.Add(uint64(max(b.records, 0)))
	// More may have arrived while this batch was written.
	s.mu.Lock()
	more := len(s.pending) > 0
	s.mu.Unlock()
	if more {
		return s.flush(ctx)
	}
	return nil
}

func (s *Store) unwritten() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var n int64
	for _, g := range s.pending {
		n += g.records
	}
	if s.failed != nil {
		n += s.failed.records
	}
	return n
}

// batch is pending sums frozen under one id.
type batch struct {
	id      string
	sums    map[groupHour]*sums
	records int64
}

func newBatch(p map[groupHour]*sums) *batch {
	var id [16]byte
	_, _ = rand.Read(id[:])
	b := &batch{id: hex.EncodeToString(id[:]), sums: p}
	for _, g := range p {
		b.records += g.records
	}
	return b
}

// applyScript claims the batch id (KEYS[1]) and, the first time only, adds
// every increment: ARGV is the id's lifetime and the hours' lifetime in
// seconds, then triples of (KEYS index, field, increment).
var applyScript = redis.NewScript(`
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then
  return 0
end
for i = 3, #ARGV, 3 do
  redis.call('HINCRBY', KEYS[tonumber(ARGV[i])], ARGV[i+1], ARGV[i+2])
end
for i = 2, #KEYS do
  redis.call('EXPIRE', KEYS[i], ARGV[2])
end
return 1
`)

func (b *batch) apply(ctx context.Context, rdb *redis.Client, prefix string, retention time.Duration) error {
	keys := []string{prefix + "usage:batch:" + b.id}
	hourIndex := map[int64]int{}
	args := []any{int64(24 * time.Hour / time.Second), int64(retention / time.Second)}
	for k, g := range b.sums {
		i, ok := hourIndex[k.hour]
		if !ok {
			keys = append(keys, HourKey(prefix, k.hour))
			i = len(keys)
			hourIndex[k.hour] = i
		}
		for _, m := range g.measures() {
			if m.v != 0 {
				args = append(args, i, k.group+fieldSep+m.name, m.v)
			}
		}
	}
	return applyScript.Run(ctx, rdb, keys, args...).Err()
}

// HourKey is the hash holding one UTC hour's sums.
func HourKey(prefix string, unixHour int64) string {
	return prefix + "usage:" + time.Unix(unixHour*3600, 0).UTC().Format("2006010215")
}

func groupOf(r *budget.UsageRecord) string {
	return strings.Join([]string{r.Tenant, r.Team, r.Key, r.User, r.Model, r.Backend, strconv.Itoa(r.Status), r.Template}, sep)
}

func (g *sums) add(r *budget.UsageRecord) {
	g.records++
	g.requests++
	if r.Status >= 400 {
		g.errors++
	}
	if r.CacheHit {
		g.cacheHits++
	}
	if r.Tokens.Estimated {
		g.estimated++
	}
	g.in += r.Tokens.InputTokens
	g.out += r.Tokens.OutputTokens
	g.cachedIn += r.Tokens.CachedInputTokens
	g.cacheWrite += r.Tokens.CacheWriteTokens
	g.reasoning += r.Tokens.ReasoningTokens
	g.costMicros += r.CostMicros
	g.latencyMicros += r.Latency.Microseconds()
}

type measure struct {
	name string
	v    int64
}

// The measure names are the hash fields' suffixes; Report reads them back.
func (g *sums) measures() []measure {
	return []measure{
		{"requests", g.requests}, {"errors", g.errors}, {"cache_hits", g.cacheHits}, {"estimated", g.estimated},
		{"input", g.in}, {"output", g.out}, {"cached_input", g.cachedIn}, {"cache_write", g.cacheWrite},
		{"reasoning", g.reasoning}, {"cost_micros", g.costMicros}, {"latency_us", g.latencyMicros},
	}
}
