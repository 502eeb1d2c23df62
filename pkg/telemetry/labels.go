package telemetry

import (
	"sync"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// The attribute keys Sluice's metrics and spans use.
const (
	attrOperation     = attribute.Key("gen_ai.operation.name")
	attrProvider      = attribute.Key("gen_ai.provider.name")
	attrRequestModel  = attribute.Key("gen_ai.request.model")
	attrResponseModel = attribute.Key("gen_ai.response.model")
	attrTokenType     = attribute.Key("gen_ai.token.type")
	attrErrorType     = attribute.Key("error.type")
	attrStatus        = attribute.Key("http.response.status_code")
	attrTenant        = attribute.Key("sluice.tenant")
	attrKey           = attribute.Key("sluice.key")
	attrUser          = attribute.Key("sluice.user")
	attrResult        = attribute.Key("result")
	attrKind          = attribute.Key("kind")
	attrType          = attribute.Key("type")
	attrAction        = attribute.Key("action")
	attrRemembered    = attribute.Key("remembered")
)

// other replaces label values that would make cardinality unbounded: an
// unconfigured model or tenant, or any new combination once the cache of
// label sets is full.
const other = "other"

// labelKey is one combination of the per-request labels.
type labelKey struct {
	op, provider, model, upstream, tenant, errType, key, user string
	status                                                    int
}

// opts is one prepared attribute set, as the option slices the
// instruments take: passing a stored slice costs no allocation.
type opts struct {
	add []metric.AddOption
	rec []metric.RecordOption
}

func newOpts(kvs ...attribute.KeyValue) opts {
	o := metric.WithAttributeSet(attribute.NewSet(kvs...))
	return opts{add: []metric.AddOption{o}, rec: []metric.RecordOption{o}}
}

// labelSet holds the prepared attributes of one labelKey, so a request
// records every instrument without building attributes.
type labelSet struct {
	requests      opts // op, model, tenant, status, error.type
	genai         opts // op, provider, models, tenant, error.type
	input, output opts // genai plus gen_ai.token.type
	cost          opts // tenant, model
	tenant        opts // tenant
}

func newLabelSet(k labelKey) *labelSet {
	who := make([]attribute.KeyValue, 0, 3)
	who = append(who, attrTenant.String(k.tenant))
	if k.key != "" {
		who = append(who, attrKey.String(k.key))
	}
	if k.user != "" {
		who = append(who, attrUser.String(k.user))
	}
	gen := append([]attribute.KeyValue{
		attrOperation.String(k.op), attrProvider.String(k.provider),
		attrRequestModel.String(k.model), attrResponseModel.String(k.upstream),
	}, who...)
	genErr := gen
	if k.errType != "" {
		genErr = append(append([]attribute.KeyValue{}, gen...), attrErrorType.String(k.errType))
	}
	req := append([]attribute.KeyValue{
		attrOperation.String(k.op), attrRequestModel.String(k.model),
		attrStatus.Int(k.status), attrErrorType.String(k.errType),
	}, who...)
	with := func(kvs []attribute.KeyValue, more ...attribute.KeyValue) opts {
		return newOpts(append(append(make([]attribute.KeyValue, 0, len(kvs)+len(more)), kvs...), more...)...)
	}
	return &labelSet{
		requests: with(req),
		genai:    with(genErr),
		input:    with(gen, attrTokenType.String("input")),
		output:   with(gen, attrTokenType.String("output")),
		cost:     with(who, attrRequestModel.String(k.model)),
		tenant:   with(who[:1]),
	}
}

// bounded is a concurrent map that stops growing at max entries. Reads
// take a read lock on a plain map: no allocation, unlike boxing a struct
// key for sync.Map.
type bounded[K comparable, V any] struct {
	mu  sync.RWMutex
	m   map[K]V
	max int
}

func newBounded[K comparable, V any](maxEntries int) *bounded[K, V] {
	return &bounded[K, V]{m: map[K]V{}, max: maxEntries}
}

// get returns k's value, building it if there is room. ok is false when
// the map is full and k is not in it.
func (b *bounded[K, V]) get(k K, build func(K) V) (v V, ok bool) {
	b.mu.RLock()
	v, ok = b.m[k]
	b.mu.RUnlock()
	if ok {
		return v, true
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if v, ok = b.m[k]; ok {
		return v, true
	}
	if len(b.m) >= b.max {
		return v, false
	}
	v = build(k)
	b.m[k] = v
	return v, true
}

func (b *bounded[K, V]) len() int {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return len(b.m)
}

// labelCache prepares attributes for label combinations. Past its bound,
// new combinations collapse into "other"; those collapsed sets are always
// kept, so the total stays bounded by max plus the few statuses and error
// types.
type labelCache struct {
	sets      *bounded[labelKey, *labelSet]
	collapsed *bounded[labelKey, *labelSet]
	small     *bounded[[4]string, opts]
	fallback  opts
}

// maxCollapsed bounds the collapsed sets: operations x providers x
// statuses x error types, generously.
const maxCollapsed = 10000

func newLabelCache(maxSets int) *labelCache {
	return &labelCache{
		sets:      newBounded[labelKey, *labelSet](maxSets),
		collapsed: newBounded[labelKey, *labelSet](maxCollapsed),
		small:     newBounded[[4]string, opts](maxSets),
		fallback:  newOpts(attrResult.String(other)),
	}
}

func (c *labelCache) set(k labelKey) *labelSet {
	if s, ok := c.sets.get(k, newLabelSet); ok {
		return s
	}
	k.model, k.upstream, k.tenant = other, other, other
	if k.key != "" {
		k.key = other
	}
	if k.user != "" {
		k.user = other
	}
	if s, ok := c.collapsed.get(k, newLabelSet); ok {
		return s
	}
	k.status, k.errType = 0, other
	s, _ := c.collapsed.get(k, newLabelSet)
	if s == nil {
		s = newLabelSet(k)
	}
	return s
}

// pair returns the attributes for one or two small labels (result, kind,
// type and action), whose values come from a fixed or configured set.
func (c *labelCache) pair(k1 attribute.Key, v1 string, k2 attribute.Key, v2 string) opts {
	if o, ok := c.small.get([4]string{string(k1), v1, string(k2), v2}, pairOpts); ok {
		return o
	}
	return c.fallback
}

func pairOpts(k [4]string) opts {
	if k[2] == "" {
		return newOpts(attribute.String(k[0], k[1]))
	}
	return newOpts(attribute.String(k[0], k[1]), attribute.String(k[2], k[3]))
}
