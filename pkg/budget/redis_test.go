package budget_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sluice-gw/sluice/pkg/budget"
	"github.com/sluice-gw/sluice/pkg/redistest"
)

// startRedis runs a throwaway redis-server for one test and returns its
// address.
func startRedis(t *testing.T) string {
	t.Helper()
	return redistest.StartRedis(t).Addr
}

func newClient(t *testing.T, addr string) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: time.Second, ReadTimeout: time.Second,
		WriteTimeout: time.Second, PoolSize: 32})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func newRedisStore(t *testing.T, c *redis.Client) *budget.RedisStore {
	t.Helper()
	s, err := budget.NewRedisStore(c, budget.RedisOptions{Prefix: "{test}:"})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestRedisCrossingsExactlyOnce(t *testing.T) {
	addr := startRedis(t)
	// Each replica has its own client, as separate processes would.
	testExactlyOnce(t, func(func() time.Time) budget.Store { return newRedisStore(t, newClient(t, addr)) })
}

func TestStores(t *testing.T) {
	stores := map[string]func(t *testing.T) budget.Store{
		"memory": func(*testing.T) budget.Store { return budget.NewMemoryStore(nil) },
		"redis":  func(t *testing.T) budget.Store { return newRedisStore(t, newClient(t, startRedis(t))) },
	}
	for name, newStore := range stores {
		t.Run(name, func(t *testing.T) {
			s := newStore(t)
			ctx := context.Background()
			expire := time.Now().Add(time.Hour)
			marks := []budget.Mark{{Name: "half", At: 50}, {Name: "full", At: 100}}
			got, err := s.Add(ctx, []budget.Add{
				{Key: "a", Amount: 60, Marks: marks, ExpireAt: expire},
				{Key: "b", Amount: 5, Marks: marks, ExpireAt: expire},
			})
			if err != nil {
				t.Fatal(err)
			}
			if got[0].Total != 60 || len(got[0].Fired) != 1 || got[0].Fired[0] != "half" || got[1].Total != 5 || len(got[1].Fired) != 0 {
				t.Errorf("first Add = %+v", got)
			}
			got, err = s.Add(ctx, []budget.Add{{Key: "a", Amount: 60, Marks: marks, ExpireAt: expire}})
			if err != nil || got[0].Total != 120 || len(got[0].Fired) != 1 || got[0].Fired[0] != "full" {
				t.Errorf("second Add = %+v, %v; want only full to fire", got, err)
			}
			spent, err := s.Spent(ctx, []string{"a", "b", "never"})
			if err != nil || spent[0] != 120 || spent[1] != 5 || spent[2] != 0 {
				t.Errorf("Spent = %v, %v", spent, err)
			}
		})
	}
}

func TestRedisLoadsScriptAfterFlush(t *testing.T) {
	c := newClient(t, startRedis(t))
	s := newRedisStore(t, c)
	ctx := context.Background()
	add := []budget.Add{{Key: "k", Amount: 1, Marks: []budget.Mark{{Name: "m", At: 2}}, ExpireAt: time.Now().Add(time.Minute)}}
	for i := range 3 {
		if i == 1 {
			if err := c.ScriptFlush(ctx).Err(); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.Add(ctx, add)
		if err != nil || got[0].Total != int64(i+1) {
			t.Fatalf("Add %d = %+v, %v", i, got, err)
		}
		if fired := len(got[0].Fired) == 1; fired != (i == 1) {
			t.Errorf("Add %d fired %v", i, got[0].Fired)
		}
	}
	if ttl, err := c.PTTL(ctx, "{test}:k").Result(); err != nil || ttl <= 0 || ttl > time.Minute {
		t.Errorf("PTTL = %v, %v; want the counter to expire within a minute", ttl, err)
	}
}

func TestRedisUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	s := newRedisStore(t, redis.NewClient(&redis.Options{Addr: addr, DialTimeout: 200 * time.Millisecond, MaxRetries: -1}))
	if _, err := s.Spent(context.Background(), []string{"a"}); err == nil {
		t.Error("Spent against nothing: no error")
	}
	if _, err := s.Add(context.Background(), []budget.Add{{Key: "a", Amount: 1}}); err == nil {
		t.Error("Add against nothing: no error")
	}
}

func TestNewRedisStoreNeedsClient(t *testing.T) {
	if _, err := budget.NewRedisStore(nil, budget.RedisOptions{}); err == nil {
		t.Error("no error without a client")
	}
}
