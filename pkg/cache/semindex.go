package cache

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sluice-gw/sluice/pkg/config"
	"github.com/sluice-gw/sluice/pkg/semcache"
)

// SemanticIndex is the SemanticFactory Sluice runs with: a pkg/semcache
// index whose embeddings come from the configured OpenAI-compatible
// endpoint (or backend), persisted in the shared Redis when the config has
// one, with entries living as long as the cache's TTL.
func SemanticIndex(shared func() (*redis.Client, string), log *slog.Logger) SemanticFactory {
	return func(snap *config.Snapshot, s *config.SemanticCache) (Semantic, error) {
		endpoint, key := s.Endpoint, s.APIKey
		if s.Backend != "" {
			b, ok := snap.Backends[s.Backend]
			if !ok {
				return nil, fmt.Errorf("cache.semantic.backend: unknown backend %q", s.Backend)
			}
			// Embeddings go straight to the provider, not through Envoy:
			// they are Sluice's own calls, not the client's.
			endpoint, key = "https://"+b.Target.Host+b.Target.BasePath, b.Target.Credential.APIKey
		}
		emb, err := semcache.NewHTTPEmbedder(semcache.HTTPEmbedderConfig{
			Endpoint: endpoint, APIKey: key, Model: s.Model, Timeout: s.Timeout,
		})
		if err != nil {
			return nil, fmt.Errorf("cache.semantic: %w", err)
		}
		opts := semcache.Options{Embedder: emb, MaxEntries: s.MaxEntries, TTL: maxTTL(snap.Cache), Logger: log}
		if rdb, _ := shared(); rdb != nil && snap.Cache.Store == config.CacheRedis {
			opts.Redis = shared
		}
		ix, err := semcache.New(opts)
		if err != nil {
			return nil, fmt.Errorf("cache.semantic: %w", err)
		}
		return ix, nil
	}
}

// maxTTL is the longest any model's answers are stored: an index entry
// outliving its answer is a harmless miss, one dying first a lost hit.
func maxTTL(c *config.Cache) (ttl time.Duration) {
	ttl = c.TTL
	for _, m := range c.Models {
		ttl = max(ttl, m.TTL)
	}
	return ttl
}
