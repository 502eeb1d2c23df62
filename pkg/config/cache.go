package config

import (
	"net/url"
	"time"

	configv1 "github.com/sluice-gw/sluice/api/sluice/config/v1"
	"github.com/sluice-gw/sluice/pkg/translate"
)

// The response cache's stores and defaults.
const (
	CacheMemory = "memory"
	CacheRedis  = "redis"

	DefaultCacheTTL           = time.Hour
	DefaultCacheMaxEntryBytes = 1 << 20
	DefaultCacheMaxTotalBytes = 256 << 20
	DefaultCacheTimeout       = 50 * time.Millisecond
	DefaultSemanticThreshold  = 0.95
	DefaultSemanticTimeout    = 500 * time.Millisecond
	DefaultSemanticMaxEntries = 10000
	maxCacheBytes             = 1 << 40
	maxSemanticEntries        = 10_000_000
)

// Cache is the response cache's settings; nil on the Snapshot when off.
type Cache struct {
	Store                 string // memory or redis
	TTL                   time.Duration
	MaxEntryBytes         int64
	MaxTotalBytes         int64
	CacheNondeterministic bool
	Timeout               time.Duration
	// Models are the per-model overrides, by canonical model name.
	Models map[string]*CacheModel
	// Semantic is nil when only exact matches are served.
	Semantic *SemanticCache
}

// CacheModel is one model's overrides; nil fields keep the cache's
// setting.
type CacheModel struct {
	Disabled              bool
	TTL                   time.Duration // 0: the cache's
	CacheNondeterministic *bool
	SemanticThreshold     *float32
}

// SemanticCache is the semantic cache's settings.
type SemanticCache struct {
	// Backend names the backend whose embeddings endpoint is used; ""
	// when Endpoint is.
	Backend  string
	Endpoint string
	// APIKey is the endpoint's credential once secrets are resolved. A
	// secret: never log it.
	APIKey     string
	Model      string
	Threshold  float32
	Timeout    time.Duration
	FailOpen   bool
	MaxEntries int
}

// ForModel is the cache's effective settings for a canonical model name:
// whether the model is cached, its TTL, whether temperatures above zero
// are stored, and its semantic threshold (0: no semantic lookups).
func (c *Cache) ForModel(name string) (enabled bool, ttl time.Duration, nondeterministic bool, threshold float32) {
	enabled, ttl, nondeterministic = true, c.TTL, c.CacheNondeterministic
	if c.Semantic != nil {
		threshold = c.Semantic.Threshold
	}
	m := c.Models[name]
	if m == nil {
		return enabled, ttl, nondeterministic, threshold
	}
	if m.TTL > 0 {
		ttl = m.TTL
	}
	if m.CacheNondeterministic != nil {
		nondeterministic = *m.CacheNondeterministic
	}
	if m.SemanticThreshold != nil && c.Semantic != nil {
		threshold = *m.SemanticThreshold
	}
	return !m.Disabled, ttl, nondeterministic, threshold
}

func validateCache(cfg *configv1.Config, p *problems) {
	c := cfg.GetCache()
	if c == nil {
		return
	}
	switch c.GetStore() {
	case "", CacheMemory:
	case CacheRedis:
		if cfg.GetState().GetRedis() == nil {
			p.add("cache.store", "redis needs state.redis")
		}
	default:
		p.add("cache.store", "want %s or %s, got %q", CacheMemory, CacheRedis, c.GetStore())
	}
	checkPositive(c.GetTtl(), "cache.ttl", p)
	checkPositive(c.GetTimeout(), "cache.timeout", p)
	checkRange(c.MaxEntryBytes, 1, maxCacheBytes, "cache.max_entry_bytes", p)
	checkRange(c.MaxTotalBytes, 1, maxCacheBytes, "cache.max_total_bytes", p)
	if c.MaxEntryBytes != nil && c.GetMaxEntryBytes() > orInt(c.MaxTotalBytes, DefaultCacheMaxTotalBytes) {
		p.add("cache.max_entry_bytes", "must not exceed max_total_bytes")
	}
	models := canonicalModels(cfg.GetModels())
	seen := map[string]bool{}
	for i, m := range c.GetModels() {
		path := index("cache.models", i)
		name, ok := models[m.GetModel()]
		switch {
		case m.GetModel() == "":
			p.add(join(path, "model"), "is required")
		case !ok:
			p.add(join(path, "model"), "unknown model %q", m.GetModel())
		case seen[name]:
			p.add(join(path, "model"), "model %q is listed twice", name)
		}
		seen[name] = true
		checkPositive(m.GetTtl(), join(path, "ttl"), p)
		if t := m.SemanticThreshold; t != nil && (*t < 0 || *t > 1) {
			p.add(join(path, "semantic_threshold"), "want 0 to 1, got %g", *t)
		}
	}
	validateSemantic(cfg, c.GetSemantic(), p)
}

func validateSemantic(cfg *configv1.Config, s *configv1.SemanticCache, p *problems) {
	if s == nil {
		return
	}
	const path = "cache.semantic"
	switch {
	case s.GetBackend() == "" && s.GetEndpoint() == "":
		p.add(path, "needs backend or endpoint")
	case s.GetBackend() != "" && s.GetEndpoint() != "":
		p.add(path, "set backend or endpoint, not both")
	case s.GetBackend() != "":
		switch prov, ok := backendProvider(cfg, s.GetBackend()); {
		case !ok:
			p.add(path+".backend", "unknown backend %q", s.GetBackend())
		case prov != translate.OpenAI && prov != translate.OpenAICompatible:
			p.add(path+".backend", "backend %q is %s; embeddings need openai or openai_compatible", s.GetBackend(), prov)
		}
	case s.GetEndpoint() != "":
		if u, err := url.Parse(s.GetEndpoint()); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			p.add(path+".endpoint", "want an http or https URL, got %q", s.GetEndpoint())
		}
	}
	if s.GetCredential() != nil {
		if s.GetBackend() != "" {
			p.add(path+".credential", "only goes with endpoint; a backend brings its own")
		}
		checkKeySource(s.GetCredential(), path+".credential", p)
	}
	if s.GetModel() == "" {
		p.add(path+".model", "is required")
	}
	if t := s.Threshold; t != nil && (*t <= 0 || *t > 1) {
		p.add(path+".threshold", "want above 0, up to 1, got %g", *t)
	}
	checkPositive(s.GetTimeout(), path+".timeout", p)
	checkRange(s.MaxEntries, 1, maxSemanticEntries, path+".max_entries", p)
}

func backendProvider(cfg *configv1.Config, name string) (translate.Provider, bool) {
	for _, b := range cfg.GetBackends() {
		if b.GetName() == name {
			return translate.Provider(b.GetProvider()), true
		}
	}
	return "", false
}

func orInt(v *int64, def int64) int64 {
	if v == nil {
		return def
	}
	return *v
}

func buildCache(cfg *configv1.Config) *Cache {
	c := cfg.GetCache()
	if c == nil {
		return nil
	}
	out := &Cache{
		Store:                 orDefault(c.GetStore(), CacheMemory),
		TTL:                   durationOr(c.GetTtl().AsDuration(), DefaultCacheTTL),
		MaxEntryBytes:         orInt(c.MaxEntryBytes, DefaultCacheMaxEntryBytes),
		MaxTotalBytes:         orInt(c.MaxTotalBytes, DefaultCacheMaxTotalBytes),
		CacheNondeterministic: c.GetCacheNondeterministic(),
		Timeout:               durationOr(c.GetTimeout().AsDuration(), DefaultCacheTimeout),
		Models:                map[string]*CacheModel{},
	}
	models := canonicalModels(cfg.GetModels())
	for _, m := range c.GetModels() {
		cm := &CacheModel{Disabled: m.Enabled != nil && !*m.Enabled, TTL: m.GetTtl().AsDuration(),
			CacheNondeterministic: m.CacheNondeterministic}
		if t := m.SemanticThreshold; t != nil {
			v := float32(*t)
			cm.SemanticThreshold = &v
		}
		out.Models[models[m.GetModel()]] = cm
	}
	if s := c.GetSemantic(); s != nil {
		out.Semantic = &SemanticCache{
			Backend:    s.GetBackend(),
			Endpoint:   s.GetEndpoint(),
			Model:      s.GetModel(),
			Threshold:  DefaultSemanticThreshold,
			Timeout:    durationOr(s.GetTimeout().AsDuration(), DefaultSemanticTimeout),
			FailOpen:   s.FailOpen == nil || *s.FailOpen,
			MaxEntries: int(orInt(s.MaxEntries, DefaultSemanticMaxEntries)),
		}
		if s.Threshold != nil {
			out.Semantic.Threshold = float32(*s.Threshold)
		}
	}
	return out
}

func durationOr(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// resolveCacheKey reads the semantic endpoint's credential.
func resolveCacheKey(snap *Snapshot, cfg *configv1.Config, s secrets, p *problems) []error {
	c := cfg.GetCache().GetSemantic().GetCredential()
	if c == nil || snap.Cache == nil || snap.Cache.Semantic == nil {
		return nil
	}
	cred, _, reason, _ := s.resolve(c)
	if reason != "" {
		const path = "cache.semantic.credential"
		return []error{&Error{File: p.file, Line: p.line(path), Path: path, Msg: reason, Err: ErrCredential}}
	}
	snap.Cache.Semantic.APIKey = cred.APIKey
	return nil
}
