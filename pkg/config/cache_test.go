package config

import (
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestBuildCache(t *testing.T) {
	src, err := os.ReadFile("testdata/valid/cache.yaml")
	if err != nil {
		t.Fatal(err)
	}
	snap, err := Parse("cache.yaml", src, LoadOptions{ResolveSecrets: true, LookupEnv: func(k string) (string, bool) {
		return "secret-" + k, true
	}})
	if err != nil {
		t.Fatal(err)
	}
	c := snap.Cache
	nondet, threshold := true, float32(0.97)
	want := &Cache{
		Store: CacheRedis, TTL: 30 * time.Minute, MaxEntryBytes: 512 << 10, MaxTotalBytes: 64 << 20, Timeout: 20 * time.Millisecond,
		Models: map[string]*CacheModel{
			"gpt-4o":      {TTL: 2 * time.Hour, SemanticThreshold: &threshold},
			"gpt-4o-mini": {CacheNondeterministic: &nondet},
		},
		Semantic: &SemanticCache{Endpoint: "http://embeddings:8080/v1", APIKey: "secret-EMBEDDINGS_API_KEY", Model: "text-embedding-3-small",
			Threshold: 0.95, Timeout: 300 * time.Millisecond, FailOpen: true, MaxEntries: 50000},
	}
	if d := cmp.Diff(want, c); d != "" {
		t.Errorf("cache (-want +got):\n%s", d)
	}
	for _, tc := range []struct {
		model     string
		on        bool
		ttl       time.Duration
		nondet    bool
		threshold float32
	}{
		{"gpt-4o", true, 2 * time.Hour, false, 0.97},
		{"gpt-4o-mini", true, 30 * time.Minute, true, 0.95},
		{"other", true, 30 * time.Minute, false, 0.95},
	} {
		on, ttl, nd, th := c.ForModel(tc.model)
		if on != tc.on || ttl != tc.ttl || nd != tc.nondet || th != tc.threshold {
			t.Errorf("ForModel(%s) = %v %s %v %v", tc.model, on, ttl, nd, th)
		}
	}
}

func TestCacheDefaults(t *testing.T) {
	snap, err := Parse("c.yaml", []byte("backends: [{name: o, provider: openai, credential: {env: K}}]\nmodels: [{name: m, backend: o}]\ncache: {}\n"), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := &Cache{Store: CacheMemory, TTL: DefaultCacheTTL, MaxEntryBytes: DefaultCacheMaxEntryBytes,
		MaxTotalBytes: DefaultCacheMaxTotalBytes, Timeout: DefaultCacheTimeout, Models: map[string]*CacheModel{}}
	if d := cmp.Diff(want, snap.Cache); d != "" {
		t.Errorf("defaults (-want +got):\n%s", d)
	}
}
