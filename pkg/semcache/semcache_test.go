package semcache

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluice-gw/sluice/pkg/semcache/semcachetest"
)

// countingEmbedder counts calls to the embedder it wraps.
type countingEmbedder struct {
	Embedder
	calls atomic.Int64
}

func (c *countingEmbedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	c.calls.Add(1)
	return c.Embedder.Embed(ctx, texts)
}

// fixedEmbedder returns vectors by text, for exact control of scores.
type fixedEmbedder map[string][]float32

func (f fixedEmbedder) Embed(_ context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	for i, t := range texts {
		v, ok := f[t]
		if !ok {
			return nil, fmt.Errorf("no vector for %q", t)
		}
		out[i] = v
	}
	return out, nil
}

func newIndex(t *testing.T, opts Options) *Index {
	t.Helper()
	if opts.Embedder == nil {
		opts.Embedder = semcachetest.Embedder{}
	}
	ix, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ix.Close() })
	return ix
}

func mustAdd(t *testing.T, ix *Index, scope, text, key string) {
	t.Helper()
	if err := ix.Add(context.Background(), scope, text, key); err != nil {
		t.Fatalf("Add(%q, %q): %v", scope, text, err)
	}
}

func TestLookup(t *testing.T) {
	ix := newIndex(t, Options{})
	mustAdd(t, ix, "tenant-a/gpt", "How do I reset my NoteHub password?", "k-reset")
	mustAdd(t, ix, "tenant-a/gpt", "What's the weather in Paris today?", "k-weather")
	mustAdd(t, ix, "tenant-b/gpt", "What's the weather in Paris today?", "k-weather-b")
	tests := []struct {
		name, scope, text string
		threshold         float32
		wantKey           string
		wantOK            bool
	}{
		{"paraphrase", "tenant-a/gpt", "Hey, how do I reset my NoteHub password? Thanks!", 0.9, "k-reset", true},
		{"exact text", "tenant-a/gpt", "What's the weather in Paris today?", 0.999, "k-weather", true},
		{"other scope has its own entry", "tenant-b/gpt", "what's the weather in paris today", 0.9, "k-weather-b", true},
		{"never across scopes", "tenant-b/gpt", "How do I reset my NoteHub password?", 0.9, "", false},
		{"unknown scope", "tenant-c/gpt", "What's the weather in Paris today?", 0.5, "", false},
		{"different entity", "tenant-a/gpt", "What's the weather in London today?", 0.9, "", false},
		{"threshold above the score", "tenant-a/gpt", "Tell me today's weather forecast for Paris.", 0.99, "", false},
		{"empty text", "tenant-a/gpt", "", 0, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, score, ok, err := ix.Lookup(context.Background(), tt.scope, tt.text, tt.threshold)
			if err != nil {
				t.Fatal(err)
			}
			if ok != tt.wantOK || key != tt.wantKey {
				t.Fatalf("Lookup = %q, %.3f, %v; want %q, %v", key, score, ok, tt.wantKey, tt.wantOK)
			}
			if ok && score < tt.threshold {
				t.Fatalf("score %.3f below threshold %.3f", score, tt.threshold)
			}
		})
	}
}

func TestLookupPicksTheMostSimilar(t *testing.T) {
	e := fixedEmbedder{
		"q":    {1, 0, 0},
		"near": {0.95, 0.31, 0},
		"far":  {0.8, 0.6, 0},
		"anti": {-1, 0, 0},
	}
	ix := newIndex(t, Options{Embedder: e})
	for _, k := range []string{"far", "near", "anti"} {
		mustAdd(t, ix, "s", k, "key-"+k)
	}
	tests := []struct {
		threshold float32
		want      string
	}{{0.5, "key-near"}, {0.94, "key-near"}, {0.96, ""}, {-1, "key-near"}}
	for _, tt := range tests {
		key, _, ok, err := ix.Lookup(context.Background(), "s", "q", tt.threshold)
		if err != nil {
			t.Fatal(err)
		}
		if key != tt.want || ok != (tt.want != "") {
			t.Errorf("threshold %.2f: got %q, %v; want %q", tt.threshold, key, ok, tt.want)
		}
	}
}

func TestAddReplacesSameKey(t *testing.T) {
	e := fixedEmbedder{"a": {1, 0}, "b": {0, 1}}
	ix := newIndex(t, Options{Embedder: e})
	mustAdd(t, ix, "s", "a", "k")
	mustAdd(t, ix, "s", "b", "k")
	if n := ix.Len(); n != 1 {
		t.Fatalf("Len = %d, want 1", n)
	}
	if _, _, ok, _ := ix.Lookup(context.Background(), "s", "a", 0.9); ok {
		t.Fatal("the replaced vector still matches")
	}
	if key, _, ok, _ := ix.Lookup(context.Background(), "s", "b", 0.9); !ok || key != "k" {
		t.Fatalf("Lookup = %q, %v; want k", key, ok)
	}
}

func TestEvictsLeastRecentlyUsed(t *testing.T) {
	ix := newIndex(t, Options{MaxEntries: 3})
	ctx := context.Background()
	texts := []string{"weather in Paris", "capital of Kenya", "recipe for ramen", "author of Dracula"}
	mustAdd(t, ix, "s", texts[0], "k0")
	mustAdd(t, ix, "s", texts[1], "k1")
	mustAdd(t, ix, "s", texts[2], "k2")
	// Using k0 makes k1 the least recently used.
	if _, _, ok, _ := ix.Lookup(ctx, "s", texts[0], 0.99); !ok {
		t.Fatal("k0 not found")
	}
	mustAdd(t, ix, "s", texts[3], "k3")
	if n := ix.Len(); n != 3 {
		t.Fatalf("Len = %d, want 3", n)
	}
	for i, want := range []bool{true, false, true, true} {
		_, _, ok, err := ix.Lookup(ctx, "s", texts[i], 0.99)
		if err != nil || ok != want {
			t.Errorf("k%d: found %v (err %v), want %v", i, ok, err, want)
		}
	}
}

func TestExpiresAfterTTL(t *testing.T) {
	ix := newIndex(t, Options{TTL: time.Minute})
	now := time.Unix(1_800_000_000, 0)
	var mu sync.Mutex
	ix.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	mustAdd(t, ix, "s", "weather in Paris", "k")
	advance(59 * time.Second)
	if _, _, ok, _ := ix.Lookup(context.Background(), "s", "weather in Paris", 0.99); !ok {
		t.Fatal("entry expired early")
	}
	advance(2 * time.Second)
	if _, _, ok, _ := ix.Lookup(context.Background(), "s", "weather in Paris", 0.99); ok {
		t.Fatal("expired entry served")
	}
	ix.mu.Lock()
	ix.store.sweep(ix.cutoff())
	ix.mu.Unlock()
	if n := ix.Len(); n != 0 {
		t.Fatalf("Len after sweep = %d, want 0", n)
	}
}

func TestDimensionMismatch(t *testing.T) {
	e := fixedEmbedder{"a": {1, 0}, "b": {1, 0, 0}}
	ix := newIndex(t, Options{Embedder: e})
	mustAdd(t, ix, "s", "a", "k")
	if err := ix.Add(context.Background(), "s", "b", "k2"); !errors.Is(err, ErrDimensions) {
		t.Fatalf("Add: %v, want ErrDimensions", err)
	}
	if _, _, _, err := ix.Lookup(context.Background(), "s", "b", 0.5); !errors.Is(err, ErrDimensions) {
		t.Fatalf("Lookup: %v, want ErrDimensions", err)
	}
}

func TestBadVectorsAreUnavailable(t *testing.T) {
	e := fixedEmbedder{"zero": {0, 0}, "ok": {1, 0}}
	ix := newIndex(t, Options{Embedder: e})
	if err := ix.Add(context.Background(), "s", "zero", "k"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Add: %v, want ErrUnavailable", err)
	}
}

func TestEmbeddingsAreReused(t *testing.T) {
	e := &countingEmbedder{Embedder: semcachetest.Embedder{}}
	ix := newIndex(t, Options{Embedder: e})
	ctx := context.Background()
	// A lookup in an empty scope needs no embedding.
	if _, _, ok, err := ix.Lookup(ctx, "s", "weather in Paris", 0.9); ok || err != nil {
		t.Fatalf("Lookup = %v, %v", ok, err)
	}
	mustAdd(t, ix, "s", "weather in Paris", "k1")
	if _, _, _, err := ix.Lookup(ctx, "s", "capital of Kenya", 0.9); err != nil {
		t.Fatal(err)
	}
	// The Add after a missed Lookup of the same text reuses its vector.
	mustAdd(t, ix, "s", "capital of Kenya", "k2")
	if n := e.calls.Load(); n != 2 {
		t.Fatalf("embedder called %d times, want 2", n)
	}
}

func TestClosed(t *testing.T) {
	ix := newIndex(t, Options{})
	mustAdd(t, ix, "s", "weather in Paris", "k")
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	if err := ix.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, _, _, err := ix.Lookup(context.Background(), "s", "weather in Paris", 0.9); !errors.Is(err, ErrClosed) {
		t.Fatalf("Lookup: %v, want ErrClosed", err)
	}
	if err := ix.Add(context.Background(), "s", "x", "k"); !errors.Is(err, ErrClosed) {
		t.Fatalf("Add: %v, want ErrClosed", err)
	}
}

func TestNewRejects(t *testing.T) {
	for name, opts := range map[string]Options{
		"no embedder":      {},
		"negative entries": {Embedder: semcachetest.Embedder{}, MaxEntries: -1},
		"negative TTL":     {Embedder: semcachetest.Embedder{}, TTL: -time.Second},
	} {
		if _, err := New(opts); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestConcurrentUse(t *testing.T) {
	ix := newIndex(t, Options{MaxEntries: 50})
	ctx := context.Background()
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := range 100 {
				scope := fmt.Sprintf("s%d", i%3)
				text := fmt.Sprintf("what is %d times %d", w, i)
				if err := ix.Add(ctx, scope, text, text); err != nil {
					t.Error(err)
					return
				}
				key, _, ok, err := ix.Lookup(ctx, scope, text, 0.99)
				if err != nil {
					t.Error(err)
					return
				}
				if ok && key != text {
					t.Errorf("Lookup(%q) = %q", text, key)
				}
			}
		})
	}
	wg.Wait()
	if n := ix.Len(); n > 50 {
		t.Fatalf("Len = %d, want at most 50", n)
	}
}
