package semcache

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sluice-gw/sluice/pkg/redistest"
)

func redisOpts(c *redis.Client, maxEntries int) Options {
	return Options{
		MaxEntries:   maxEntries,
		Redis:        func() (*redis.Client, string) { return c, "test:" },
		SyncInterval: 20 * time.Millisecond,
	}
}

// eventually polls cond until it holds or a second has passed.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func found(ix *Index, scope, text string) bool {
	_, _, ok, err := ix.Lookup(context.Background(), scope, text, 0.99)
	return ok && err == nil
}

func TestRedisWarmStart(t *testing.T) {
	c := redistest.StartRedis(t).Client(t)
	first := newIndex(t, redisOpts(c, 100))
	for i := range 5 {
		mustAdd(t, first, "s", fmt.Sprintf("what is %d times 3", i), fmt.Sprintf("k%d", i))
	}
	// A new replica with room for three loads the three newest.
	second := newIndex(t, redisOpts(c, 3))
	if n := second.Len(); n != 3 {
		t.Fatalf("warm start loaded %d entries, want 3", n)
	}
	for i, want := range []bool{false, false, true, true, true} {
		key, _, ok, err := second.Lookup(context.Background(), "s", fmt.Sprintf("what is %d times 3", i), 0.99)
		if err != nil || ok != want || (ok && key != fmt.Sprintf("k%d", i)) {
			t.Errorf("entry %d: %q, %v, %v; want found=%v", i, key, ok, err, want)
		}
	}
}

func TestRedisSyncAcrossReplicas(t *testing.T) {
	c := redistest.StartRedis(t).Client(t)
	a := newIndex(t, redisOpts(c, 100))
	b := newIndex(t, redisOpts(c, 100))
	mustAdd(t, a, "tenant/model", "capital of Kenya", "k-a")
	eventually(t, "b to see a's entry", func() bool { return found(b, "tenant/model", "capital of Kenya") })
	mustAdd(t, b, "tenant/model", "weather in Paris", "k-b")
	eventually(t, "a to see b's entry", func() bool { return found(a, "tenant/model", "weather in Paris") })
	if found(b, "other/model", "capital of Kenya") {
		t.Fatal("a synced entry matched in another scope")
	}
	// A replica's own entries are not added twice.
	time.Sleep(60 * time.Millisecond)
	if n := a.Len(); n != 2 {
		t.Fatalf("a holds %d entries, want 2", n)
	}
}

func TestRedisSkipsExpiredEntries(t *testing.T) {
	c := redistest.StartRedis(t).Client(t)
	a := newIndex(t, redisOpts(c, 100))
	mustAdd(t, a, "s", "capital of Kenya", "k")
	opts := redisOpts(c, 100)
	opts.TTL = time.Millisecond
	time.Sleep(5 * time.Millisecond)
	b := newIndex(t, opts)
	if n := b.Len(); n != 0 {
		t.Fatalf("loaded %d expired entries", n)
	}
}

func TestRedisOutage(t *testing.T) {
	r := redistest.StartRedis(t)
	c := r.Client(t)
	r.Stop(t)
	// New never fails on Redis; the entry stays local.
	a := newIndex(t, redisOpts(c, 100))
	if err := a.Add(context.Background(), "s", "capital of Kenya", "k"); !errors.Is(err, ErrPersist) {
		t.Fatalf("Add during an outage: %v, want ErrPersist", err)
	}
	if !found(a, "s", "capital of Kenya") {
		t.Fatal("the local entry is lost")
	}
	// Once Redis is back, the sync loop catches up with other replicas.
	r.Restart(t)
	b := newIndex(t, redisOpts(c, 100))
	mustAdd(t, b, "s", "weather in Paris", "k2")
	eventually(t, "a to see b's entry after the outage", func() bool { return found(a, "s", "weather in Paris") })
}

func TestRedisMalformedEntriesAreSkipped(t *testing.T) {
	c := redistest.StartRedis(t).Client(t)
	ctx := context.Background()
	for _, v := range []map[string]any{
		{"s": "s", "k": "k1", "v": "not a vector"},
		{"s": "s", "v": string(encodeVector(quantize([]float32{1, 0})))},
	} {
		if err := c.XAdd(ctx, &redis.XAddArgs{Stream: "test:" + streamSuffix, Values: v}).Err(); err != nil {
			t.Fatal(err)
		}
	}
	ix := newIndex(t, redisOpts(c, 100))
	if n := ix.Len(); n != 0 {
		t.Fatalf("loaded %d malformed entries", n)
	}
}
