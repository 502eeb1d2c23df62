package budget

import (
	"context"
	_ "embed" // the Lua scripts
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"
)

var (
	//go:embed charge.lua
	chargeSource string
	//go:embed spent.lua
	spentSource string

	chargeScript = redis.NewScript(chargeSource)
	spentScript  = redis.NewScript(spentSource)
)

// RedisOptions configures a RedisStore.
type RedisOptions struct {
	// Prefix starts every key; default "sluice:budget:{budget}:". Keep a
	// Redis Cluster hash tag (the braces) in it: a charge updates all its
	// counters in one script, so they must share a slot.
	Prefix string
}

// RedisStore keeps counters in Redis, shared by every replica. Each Add is
// one Lua script (charge.lua), which Redis runs atomically: the increments
// of every counter a charge touches, the marks they fire and their expiry
// happen together. Each Spent is one script too (spent.lua). Counters are
// Redis hashes: "spent" holds the total, "mark:<name>" records a fired mark.
type RedisStore struct {
	rdb    redis.Scripter
	prefix string
}

// NewRedisStore returns a store on rdb: a *redis.Client, *redis.ClusterClient
// or *redis.Ring, usually the one the rest of Sluice shares. Configure it
// with short timeouts: Check and Charge wait for it on the request path.
func NewRedisStore(rdb redis.Scripter, o RedisOptions) (*RedisStore, error) {
	if rdb == nil {
		return nil, errors.New("budget: no redis client")
	}
	if o.Prefix == "" {
		o.Prefix = "sluice:budget:{budget}:"
	}
	return &RedisStore{rdb: rdb, prefix: o.Prefix}, nil
}

// Spent implements Store.
func (s *RedisStore) Spent(ctx context.Context, keys []string) ([]int64, error) {
	full := make([]string, len(keys))
	for i, k := range keys {
		full[i] = s.prefix + k
	}
	totals, err := spentScript.Run(ctx, s.rdb, full).Int64Slice()
	if err != nil {
		return nil, fmt.Errorf("redis spent: %w", err)
	}
	if len(totals) != len(keys) {
		return nil, fmt.Errorf("redis spent: %d totals for %d counters", len(totals), len(keys))
	}
	return totals, nil
}

// Add implements Store: one EVALSHA, or EVAL when the server does not have
// the script yet.
func (s *RedisStore) Add(ctx context.Context, adds []Add) ([]Added, error) {
	keys := make([]string, len(adds))
	var args []any
	for i, a := range adds {
		keys[i] = s.prefix + a.Key
		args = append(args, a.Amount, a.ExpireAt.UnixMilli(), len(a.Marks))
		for _, m := range a.Marks {
			args = append(args, m.Name, m.At)
		}
	}
	reply, err := chargeScript.Run(ctx, s.rdb, keys, args...).Slice()
	if err != nil {
		return nil, fmt.Errorf("redis charge: %w", err)
	}
	return parseAdded(reply, len(adds))
}

// parseAdded reads charge.lua's answer: total and fired marks, per counter.
func parseAdded(reply []any, n int) ([]Added, error) {
	bad := func() ([]Added, error) { return nil, fmt.Errorf("redis charge: unexpected answer %v", reply) }
	if len(reply) != 2*n {
		return bad()
	}
	out := make([]Added, n)
	for i := range out {
		total, ok := reply[2*i].(int64)
		fired, ok2 := reply[2*i+1].([]any)
		if !ok || !ok2 {
			return bad()
		}
		out[i].Total = total
		for _, f := range fired {
			name, ok := f.(string)
			if !ok {
				return bad()
			}
			out[i].Fired = append(out[i].Fired, name)
		}
	}
	return out, nil
}
