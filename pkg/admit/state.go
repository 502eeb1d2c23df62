package admit

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sluice-gw/sluice/pkg/budget"
	"github.com/sluice-gw/sluice/pkg/config"
	"github.com/sluice-gw/sluice/pkg/limits"
	"github.com/sluice-gw/sluice/pkg/limits/memlimit"
	"github.com/sluice-gw/sluice/pkg/limits/redislimit"
)

// retireAfter is how long a Redis client replaced by a reload stays open:
// requests admitted through it settle through it, and a lease outlives
// no request longer than this (redislimit's default lease).
const retireAfter = 10 * time.Minute

// State is what the admit and account stages share: the limiter, the
// budget tracker, and the stores their counters live in. Reload brings it
// to a new config and keeps every counter whose store is unchanged, so a
// reload never resets a limit or a budget.
type State struct {
	log *slog.Logger
	cur atomic.Pointer[current]

	mu         sync.Mutex // serialises Reload and Close, and guards what follows
	redisCfg   *config.Redis
	rdb        *redis.Client
	retired    []*redis.Client
	memory     *memlimit.Limiter   // the limiter when there is no Redis
	fallback   *memlimit.Limiter   // the local limiter while Redis is down (fail_open)
	memBudgets *budget.MemoryStore // budget counters when there is no Redis
	hookCfg    *config.BudgetWebhook
	hook       atomic.Pointer[budget.Webhook]

	failOpen  atomic.Uint64 // decisions taken without Redis
	lastNoted atomic.Int64  // when a fail-open was last logged (Unix ns)
	// budgetsDownUntil keeps budget calls away from a store that just
	// failed (Unix ns; zero while healthy), so that an outage costs one
	// timeout per second rather than one per request.
	budgetsDownUntil atomic.Int64
}

// current is one config's view of the state, swapped whole.
type current struct {
	limiter limits.Limiter
	// tracker is nil when no budget is configured.
	tracker *budget.Tracker
	// openOnError lets requests through when budgets cannot be read.
	openOnError bool
	// rdb and prefix are the shared Redis and its key prefix; rdb is nil
	// when state lives in process memory.
	rdb    *redis.Client
	prefix string
}

// NewState returns a state with in-memory stores and no limits or
// budgets, until Reload applies a config.
func NewState(log *slog.Logger) *State {
	s := &State{log: log, memory: memlimit.New(memlimit.Options{}), memBudgets: budget.NewMemoryStore(nil)}
	s.cur.Store(&current{limiter: s.memory})
	return s
}

// Budgets is the budget tracker, or nil when no budget is configured.
func (s *State) Budgets() *budget.Tracker { return s.cur.Load().tracker }

// Shared is the Redis the replicas share and the prefix of Sluice's keys
// in it, or nil when state lives in this process's memory.
func (s *State) Shared() (*redis.Client, string) {
	c := s.cur.Load()
	return c.rdb, c.prefix
}

// InMemory reports whether limits and budgets live in this process's
// memory, where settling and charging never wait on anything and so
// need no deadline. It says where new admissions and charges go; a ticket
// already held says for itself (pipeline.Admission.LocalTicket).
func (s *State) InMemory() bool { return s.cur.Load().rdb == nil }

// FailOpen reports whether requests go on when budgets cannot be read.
func (s *State) FailOpen() bool { return s.cur.Load().openOnError }

// FailOpenDecisions counts the limit and budget decisions taken without
// Redis because it could not be reached and on_redis_error is fail_open.
func (s *State) FailOpenDecisions() uint64 { return s.failOpen.Load() }

// Reload applies snap's state, limits and budgets. An error (an invalid
// budget, a webhook that cannot be built) keeps the previous state.
func (s *State) Reload(_ context.Context, snap *config.Snapshot) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	rdb := s.rdb
	if !snap.State.Redis.Same(s.redisCfg) {
		rdb = newRedisClient(snap.State.Redis)
		s.probe(rdb, snap.State)
	}
	next, err := s.prepare(snap, rdb)
	if err == nil {
		err = s.swapWebhook(snap.BudgetWebhook)
	}
	if err != nil {
		if rdb != s.rdb && rdb != nil {
			_ = rdb.Close()
		}
		return err
	}
	s.cur.Store(next)
	if rdb != s.rdb {
		if s.rdb != nil {
			old := s.rdb
			s.retired = append(s.retired, old)
			time.AfterFunc(retireAfter, func() { _ = old.Close() })
		}
		s.rdb, s.redisCfg = rdb, snap.State.Redis
	}
	return nil
}

// prepare builds the limiter and budget tracker snap asks for, over rdb.
func (s *State) prepare(snap *config.Snapshot, rdb *redis.Client) (*current, error) {
	next := &current{limiter: s.memory}
	var store budget.Store = s.memBudgets
	if rdb != nil {
		prefix := snap.State.Redis.KeyPrefix
		next.rdb, next.prefix = rdb, prefix
		rl, err := redislimit.New(rdb, redislimit.Options{Prefix: prefix + "limits:"})
		if err != nil {
			return nil, fmt.Errorf("limits: %w", err)
		}
		next.limiter = rl
		if store, err = budget.NewRedisStore(rdb, budget.RedisOptions{Prefix: prefix + "budget:{budget}:"}); err != nil {
			return nil, fmt.Errorf("budgets: %w", err)
		}
		if snap.State.OnRedisError == config.RedisFailOpen {
			next.openOnError = true
			if s.fallback == nil {
				s.fallback = memlimit.New(memlimit.Options{})
			}
			next.limiter, err = limits.NewFailOpen(rl, s.fallback, limits.FailOpenOptions{
				Replicas: int(snap.State.Replicas), OnFailOpen: s.NoteFailOpen,
			})
			if err != nil {
				return nil, fmt.Errorf("limits: %w", err)
			}
		}
	}
	if len(snap.Budgets) > 0 {
		t, err := budget.NewTracker(store, snap.Budgets, budget.WithNotifier(notifier{s}))
		if err != nil {
			return nil, fmt.Errorf("budgets: %w", err)
		}
		next.tracker = t
	}
	return next, nil
}

func newRedisClient(c *config.Redis) *redis.Client {
	if c == nil {
		return nil
	}
	o := &redis.Options{
		Addr: c.Address, Password: c.Password, DB: int(c.DB),
		// Short timeouts and few retries: requests wait for Redis, and an
		// outage must be noticed quickly to fail open or closed.
		DialTimeout: c.Timeout, ReadTimeout: c.Timeout, WriteTimeout: c.Timeout, PoolTimeout: c.Timeout,
		MaxRetries: 1, DialerRetries: 1,
	}
	if c.TLS {
		host, _, err := net.SplitHostPort(c.Address)
		if err != nil {
			host = c.Address
		}
		o.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12, ServerName: host}
	}
	return redis.NewClient(o)
}

// probe warns, without holding up the reload, when a newly configured
// Redis cannot be reached: requests will fail open or closed until it can.
func (s *State) probe(rdb *redis.Client, st config.State) {
	if rdb == nil {
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if err := rdb.Ping(ctx).Err(); err != nil {
			s.log.Warn("Redis for limits and budgets is unreachable", "address", st.Redis.Address,
				"on_redis_error", string(st.OnRedisError), "err", err)
		}
	}()
}

// swapWebhook starts the webhook cfg asks for, unless it already runs, and
// stops the one it replaces once that has delivered what it holds.
func (s *State) swapWebhook(cfg *config.BudgetWebhook) error {
	if sameWebhook(cfg, s.hookCfg) {
		s.hookCfg = cfg
		return nil
	}
	var hook *budget.Webhook
	if cfg != nil {
		h := maps.Clone(cfg.Headers)
		if h == nil {
			h = map[string]string{}
		}
		if cfg.BearerToken != "" {
			h["Authorization"] = "Bearer " + cfg.BearerToken
		}
		var err error
		if hook, err = budget.NewWebhook(budget.WebhookConfig{URL: cfg.URL, Headers: h, Log: s.log}); err != nil {
			return fmt.Errorf("budget webhook: %w", err)
		}
	}
	s.hookCfg = cfg
	if old := s.hook.Swap(hook); old != nil {
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = old.Close(ctx)
		}()
	}
	return nil
}

func sameWebhook(a, b *config.BudgetWebhook) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.URL == b.URL && a.BearerToken == b.BearerToken && maps.Equal(a.Headers, b.Headers)
}

// Close delivers queued budget crossings (for as long as ctx allows) and
// closes the Redis connections.
func (s *State) Close(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var errs []error
	if hook := s.hook.Swap(nil); hook != nil {
		errs = append(errs, hook.Close(ctx))
	}
	s.hookCfg = nil
	if s.rdb != nil {
		errs = append(errs, s.rdb.Close())
	}
	for _, r := range s.retired {
		_ = r.Close() // may have closed already
	}
	s.rdb, s.redisCfg, s.retired = nil, nil, nil
	s.cur.Store(&current{limiter: s.memory})
	return errors.Join(errs...)
}

// NoteFailOpen counts a decision taken without Redis and logs it, at most
// once every 10 seconds.
func (s *State) NoteFailOpen(err error) {
	n := s.failOpen.Add(1)
	now := time.Now().UnixNano()
	last := s.lastNoted.Load()
	if now-last < int64(10*time.Second) || !s.lastNoted.CompareAndSwap(last, now) {
		return
	}
	s.log.Warn("Redis unavailable: deciding without it (state.on_redis_error: fail_open)",
		"fail_open_decisions", n, "err", err)
}
