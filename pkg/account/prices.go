package account

import (
	"maps"
	"sync/atomic"

	"github.com/sluice-gw/sluice/pkg/pricing"
	"github.com/sluice-gw/sluice/pkg/translate"
)

// priceCache remembers the price table's answer per upstream model and
// provider. A lookup tries several spellings of the name, each a
// normalisation that allocates; the answer for a name never changes
// while its table is in use, and the names come from the config, so
// there are few of them. Reads take no lock: a miss publishes a new copy
// of the map.
type priceCache struct {
	cur atomic.Pointer[tablePrices]
}

// tablePrices is the cache of one table; a reload's new table starts
// afresh. m is never modified once published.
type tablePrices struct {
	table *pricing.Table
	m     map[priceKey]priceHit
}

type priceKey struct {
	model    string
	provider translate.Provider
}

type priceHit struct {
	prices pricing.Prices
	ok     bool
}

// maxCachedPrices bounds the cache should model names ever come from
// somewhere unbounded; past it, lookups go to the table.
const maxCachedPrices = 1024

// cost is t.Cost(model, provider, u), remembering the lookup.
func (c *priceCache) cost(t *pricing.Table, model string, provider translate.Provider, u translate.Usage) (int64, bool) {
	if t == nil {
		return 0, false
	}
	k := priceKey{model, provider}
	tp := c.cur.Load()
	if tp != nil && tp.table == t {
		if h, ok := tp.m[k]; ok {
			return h.cost(u)
		}
	}
	p, ok := t.Lookup(model, provider)
	h := priceHit{prices: p, ok: ok}
	if tp == nil || tp.table != t {
		c.cur.Store(&tablePrices{table: t, m: map[priceKey]priceHit{k: h}})
	} else if len(tp.m) < maxCachedPrices {
		m := maps.Clone(tp.m)
		m[k] = h
		// A concurrent miss may win instead; either copy is correct.
		c.cur.CompareAndSwap(tp, &tablePrices{table: t, m: m})
	}
	return h.cost(u)
}

func (h priceHit) cost(u translate.Usage) (int64, bool) {
	if !h.ok {
		return 0, false
	}
	return h.prices.Cost(u), true
}
