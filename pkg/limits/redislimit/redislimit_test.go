package redislimit_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sluice-gw/sluice/pkg/limits"
	"github.com/sluice-gw/sluice/pkg/limits/limitstest"
	"github.com/sluice-gw/sluice/pkg/limits/redislimit"
	"github.com/sluice-gw/sluice/pkg/redistest"
)

// newLimiter returns a limiter whose keys no other limiter in the test uses.
func newLimiter(t testing.TB, rdb redis.Scripter, o redislimit.Options) *redislimit.Limiter {
	t.Helper()
	if o.Prefix == "" {
		o.Prefix = fmt.Sprintf("test:%s:%d:", t.Name(), prefixes.Add(1))
	}
	l, err := redislimit.New(rdb, o)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

var prefixes atomic.Int64

func TestConformance(t *testing.T) {
	rdb := redistest.StartRedis(t).Client(t)
	limitstest.RunConformance(t, func(t *testing.T, now func() time.Time) limits.Limiter {
		return newLimiter(t, rdb, redislimit.Options{Now: now})
	})
}

// counter counts the commands a client sends.
type counter struct{ n atomic.Int64 }

func (c *counter) DialHook(next redis.DialHook) redis.DialHook { return next }
func (c *counter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		c.n.Add(1)
		return next(ctx, cmd)
	}
}
func (c *counter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		c.n.Add(int64(len(cmds)))
		return next(ctx, cmds)
	}
}

func TestOneRoundTripPerPhase(t *testing.T) {
	ctx := context.Background()
	rdb := redistest.StartRedis(t).Client(t)
	lim := newLimiter(t, rdb, redislimit.Options{})
	req := limits.Request{
		Rules: []limits.Rule{
			{Scope: "key:k", RequestsPerMinute: 10, TokensPerMinute: 1000, MaxConcurrent: 2},
			{Scope: "tenant:t", InputTokensPerMinute: 5000, OutputTokensPerMinute: 5000},
		},
		InputTokens: 100, OutputTokens: 50,
	}
	// Load the scripts first: only a server that lost them costs an EVAL.
	tk, _, err := lim.Admit(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if err := tk.Settle(ctx, 1, 1); err != nil {
		t.Fatal(err)
	}

	c := &counter{}
	rdb.AddHook(c)
	tk, _, err = lim.Admit(ctx, req)
	if err != nil || c.n.Load() != 1 {
		t.Fatalf("admission: %d commands (err %v), want 1", c.n.Load(), err)
	}
	if err := tk.Settle(ctx, 120, 80); err != nil || c.n.Load() != 2 {
		t.Fatalf("settlement: %d commands in all (err %v), want 2", c.n.Load(), err)
	}
	if err := tk.Release(ctx); err != nil || c.n.Load() != 2 {
		t.Fatalf("release after settle: %d commands in all (err %v), want still 2", c.n.Load(), err)
	}
	quiet := limits.Request{Rules: []limits.Rule{{Scope: "key:q", RequestsPerMinute: 10}}}
	tk, _, err = lim.Admit(ctx, quiet)
	if err != nil {
		t.Fatal(err)
	}
	if err := tk.Settle(ctx, 5, 5); err != nil || c.n.Load() != 3 {
		t.Errorf("a settle with nothing to correct or free sent %d commands in all (err %v), want no new one", c.n.Load(), err)
	}
}

func TestScriptCacheFlushed(t *testing.T) {
	ctx := context.Background()
	rdb := redistest.StartRedis(t).Client(t)
	lim := newLimiter(t, rdb, redislimit.Options{})
	req := limits.Request{Rules: []limits.Rule{{Scope: "key:f", RequestsPerMinute: 2, MaxConcurrent: 5}}}
	for i := range 3 {
		if err := rdb.ScriptFlush(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		tk, res, err := lim.Admit(ctx, req)
		if err != nil || res.Allowed != (i < 2) {
			t.Fatalf("admission %d after SCRIPT FLUSH: allowed=%v err=%v", i, res.Allowed, err)
		}
		if err := rdb.ScriptFlush(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		if err := tk.Release(ctx); err != nil {
			t.Fatalf("release %d after SCRIPT FLUSH: %v", i, err)
		}
	}
}

func TestServerClock(t *testing.T) {
	ctx := context.Background()
	rdb := redistest.StartRedis(t).Client(t)
	lim := newLimiter(t, rdb, redislimit.Options{})
	req := limits.Request{Rules: []limits.Rule{{Scope: "key:s", RequestsPerMinute: 1}}}
	if _, res, err := lim.Admit(ctx, req); err != nil || !res.Allowed {
		t.Fatalf("first: allowed=%v err=%v", res.Allowed, err)
	}
	_, res, err := lim.Admit(ctx, req)
	if err != nil || res.Allowed {
		t.Fatalf("second: allowed=%v err=%v", res.Allowed, err)
	}
	if res.RetryAfter <= 55*time.Second || res.RetryAfter > time.Minute {
		t.Errorf("retry after %s on the server's clock, want just under a minute", res.RetryAfter)
	}
}

func TestKeys(t *testing.T) {
	ctx := context.Background()
	clock := limitstest.NewClock()
	rdb := redistest.StartRedis(t).Client(t)
	lim := newLimiter(t, rdb, redislimit.Options{Prefix: "p:", HashTag: "sluice", LeaseTTL: time.Minute, Now: clock.Now})
	rule := limits.Rule{Scope: "tenant:acme", TokensPerMinute: 1000, MaxConcurrent: 1}
	if _, _, err := lim.Admit(ctx, limits.Request{Rules: []limits.Rule{rule}, InputTokens: 500}); err != nil {
		t.Fatal(err)
	}
	keys, err := rdb.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(keys, " "); !strings.Contains(got, "p:{sluice}:b:tenant:acme") || !strings.Contains(got, "p:{sluice}:c:tenant:acme") || len(keys) != 2 {
		t.Errorf("keys %q", keys)
	}
	// The bucket is remembered while it drains (30s) plus a second; the
	// leases as long as a lease.
	for key, want := range map[string]time.Duration{"p:{sluice}:b:tenant:acme": 31 * time.Second, "p:{sluice}:c:tenant:acme": 61 * time.Second} {
		if ttl := rdb.PTTL(ctx, key).Val(); ttl <= want-2*time.Second || ttl > want {
			t.Errorf("%s expires in %s, want about %s", key, ttl, want)
		}
	}

	// A replica that dies holding a slot loses it when its lease ends.
	req := limits.Request{Rules: []limits.Rule{rule}}
	if _, res, _ := lim.Admit(ctx, req); res.Allowed {
		t.Fatal("second request admitted while the slot is held")
	}
	clock.Advance(time.Minute + time.Microsecond)
	if _, res, err := lim.Admit(ctx, req); err != nil || !res.Allowed {
		t.Errorf("after the lease expired: allowed=%v err=%v, want admitted", res.Allowed, err)
	}
}

func TestNewRejects(t *testing.T) {
	cluster := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{"127.0.0.1:1"}})
	t.Cleanup(func() { _ = cluster.Close() })
	tests := []struct {
		name string
		rdb  redis.Scripter
		o    redislimit.Options
		want string
	}{
		{"no client", nil, redislimit.Options{}, "redislimit: no redis client"},
		{"cluster without a hash tag", cluster, redislimit.Options{}, "redislimit: a Redis Cluster needs a hash tag: one script touches every scope of a request"},
		{"negative lease", redis.NewClient(&redis.Options{}), redislimit.Options{LeaseTTL: -time.Second}, "redislimit: lease TTL must not be negative, got -1s"},
	}
	for _, tc := range tests {
		if _, err := redislimit.New(tc.rdb, tc.o); err == nil || err.Error() != tc.want {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
	}
	if _, err := redislimit.New(cluster, redislimit.Options{HashTag: "sluice"}); err != nil {
		t.Errorf("cluster with a hash tag: %v", err)
	}
}
