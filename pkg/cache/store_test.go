package cache

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"github.com/sluice-gw/sluice/pkg/redistest"
)

func entry(n int) *Entry {
	return &Entry{Body: []byte(`{"b":"` + strings.Repeat("x", n) + `"}`), Usage: usage, Stored: time.UnixMilli(1700000000000)}
}

func TestMemoryEvictsLeastRecentlyUsed(t *testing.T) {
	ctx := context.Background()
	e := entry(736) // 1000 bytes with the overhead
	m := NewMemory(3000)
	for _, k := range []string{"a", "b", "c"} {
		if err := m.Set(ctx, k, e, time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	if _, ok, _ := m.Get(ctx, "a"); !ok { // a is now the most recently used
		t.Fatal("a missing")
	}
	_ = m.Set(ctx, "d", e, time.Hour)
	for k, want := range map[string]bool{"a": true, "b": false, "c": true, "d": true} {
		if _, ok, _ := m.Get(ctx, k); ok != want {
			t.Errorf("Get(%s) ok = %v, want %v", k, ok, want)
		}
	}
	if n, used := m.Len(); n != 3 || used != 3000 {
		t.Errorf("Len = %d entries, %d bytes; want 3, 3000", n, used)
	}
	m.Resize(1000)
	if n, _ := m.Len(); n != 1 {
		t.Errorf("after Resize: %d entries, want 1", n)
	}
	_ = m.Set(ctx, "huge", entry(5000), time.Hour)
	if _, ok, _ := m.Get(ctx, "huge"); ok {
		t.Errorf("an entry larger than the store was kept")
	}
}

func TestMemoryExpires(t *testing.T) {
	ctx := context.Background()
	now := time.Unix(1000, 0)
	m := NewMemory(1 << 20)
	m.now = func() time.Time { return now }
	_ = m.Set(ctx, "k", entry(10), time.Minute)
	now = now.Add(59 * time.Second)
	if _, ok, _ := m.Get(ctx, "k"); !ok {
		t.Fatal("expired early")
	}
	now = now.Add(time.Second)
	if _, ok, _ := m.Get(ctx, "k"); ok {
		t.Fatal("served after its TTL")
	}
	if n, used := m.Len(); n != 0 || used != 0 {
		t.Errorf("expired entry still held: %d, %d", n, used)
	}
}

func TestRedisStore(t *testing.T) {
	r := redistest.StartRedis(t)
	c := r.Client(t)
	ctx := context.Background()
	s := NewRedis(func() (*redis.Client, string) { return c, "t:" }, 1<<20)
	e := entry(4000)
	if err := s.Set(ctx, "k", e, time.Minute); err != nil {
		t.Fatal(err)
	}
	got, ok, err := s.Get(ctx, "k")
	if err != nil || !ok {
		t.Fatalf("Get = %v, %v", ok, err)
	}
	if d := cmp.Diff(e, got); d != "" {
		t.Errorf("round trip (-want +got):\n%s", d)
	}
	raw, _ := c.Get(ctx, "t:cache:k").Bytes()
	if len(raw) >= len(e.Body)/4 {
		t.Errorf("stored %d bytes for a %d-byte repetitive body: not compressed", len(raw), len(e.Body))
	}
	if ttl := c.TTL(ctx, "t:cache:k").Val(); ttl <= 0 || ttl > time.Minute {
		t.Errorf("TTL = %s, want up to 1m", ttl)
	}
	if _, ok, err := s.Get(ctx, "absent"); ok || err != nil {
		t.Errorf("Get(absent) = %v, %v", ok, err)
	}
	small := NewRedis(func() (*redis.Client, string) { return c, "t:" }, 10)
	_ = small.Set(ctx, "big", e, time.Minute)
	if _, ok, _ := small.Get(ctx, "big"); ok {
		t.Errorf("an entry over max_entry_bytes was stored")
	}
	_ = c.Set(ctx, "t:cache:bad", []byte("not zstd"), time.Minute).Err()
	if _, _, err := s.Get(ctx, "bad"); err == nil {
		t.Errorf("a corrupt entry read without error")
	}
	r.Stop(t)
	if _, _, err := s.Get(ctx, "k"); err == nil {
		t.Errorf("Get with Redis down: no error")
	}
}

func FuzzDecodeEntry(f *testing.F) {
	f.Add(encodeEntry(nil, entry(3)))
	f.Add([]byte(`{"v":1,"usage":[1],"body":{}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := decodeEntry(b)
		if err != nil {
			return
		}
		again, err := decodeEntry(encodeEntry(nil, e))
		if err != nil || string(again.Body) != string(e.Body) || again.Usage != e.Usage {
			t.Fatalf("re-encoded entry differs: %v", err)
		}
	})
}

func TestMemoryConcurrent(t *testing.T) {
	ctx := context.Background()
	m := NewMemory(64 << 10)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 500 {
				k := strconv.Itoa((g*31 + i) % 97)
				if i%3 == 0 {
					_ = m.Set(ctx, k, entry(200), time.Minute)
				} else if e, ok, _ := m.Get(ctx, k); ok && len(e.Body) == 0 {
					t.Error("empty entry")
				}
			}
		})
	}
	wg.Wait()
	if _, used := m.Len(); used > 64<<10 {
		t.Errorf("store holds %d bytes, over its bound", used)
	}
}
