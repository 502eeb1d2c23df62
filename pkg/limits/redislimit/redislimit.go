// Package redislimit is the limits.Limiter that replicas share through
// Redis. Each phase is one Lua script, so one round trip: admission checks
// and charges every rule atomically (admit.lua), and settling corrects the
// charge and frees the slots (settle.lua). Scripts run by EVALSHA, falling
// back to EVAL when the server has lost its script cache.
//
// Keys, for a scope S under the prefix P (default "sluice:limits:"):
//
//	P b:S   hash: the bucket levels r, t, i, o and their time, at
//	P c:S   sorted set: the leases of requests in flight, scored by expiry
//
// Both expire once there is nothing left to remember. With a hash tag T
// the prefix becomes P{T}:, which puts every key in one Redis Cluster slot,
// as a script that touches several scopes needs.
package redislimit

import (
	"context"
	"crypto/rand"
	_ "embed" // the Lua scripts
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sluice-gw/sluice/pkg/limits"
)

var (
	//go:embed admit.lua
	admitSource string
	//go:embed settle.lua
	settleSource string

	admitScript  = redis.NewScript(admitSource)
	settleScript = redis.NewScript(settleSource)
)

// Options configures a Limiter.
type Options struct {
	// Prefix starts every key. Default "sluice:limits:".
	Prefix string
	// HashTag, when set, puts all keys in one Redis Cluster slot.
	HashTag string
	// LeaseTTL bounds how long a concurrency slot outlives a replica that
	// died holding it; a request running longer than this loses its slot.
	// Default 10 minutes.
	LeaseTTL time.Duration
	// Now is the clock. Nil means the Redis server's clock, which all
	// replicas share; tests set it to drive time.
	Now func() time.Time
}

// Limiter keeps limit state in Redis.
type Limiter struct {
	rdb    redis.Scripter
	prefix string
	lease  time.Duration
	now    func() time.Time
	ids    string // this limiter's random prefix for ticket ids
	seq    atomic.Uint64
}

// New returns a Limiter on rdb: a *redis.Client, *redis.ClusterClient or
// *redis.Ring. Configure the client with short timeouts and few retries;
// a slow outage delays every request before it can fail open.
func New(rdb redis.Scripter, o Options) (*Limiter, error) {
	if rdb == nil {
		return nil, errors.New("redislimit: no redis client")
	}
	if _, cluster := rdb.(*redis.ClusterClient); cluster && o.HashTag == "" {
		return nil, errors.New("redislimit: a Redis Cluster needs a hash tag: one script touches every scope of a request")
	}
	if o.LeaseTTL < 0 {
		return nil, fmt.Errorf("redislimit: lease TTL must not be negative, got %s", o.LeaseTTL)
	}
	var id [8]byte
	if _, err := rand.Read(id[:]); err != nil {
		return nil, fmt.Errorf("redislimit: ticket ids: %w", err)
	}
	l := &Limiter{rdb: rdb, prefix: o.Prefix, lease: o.LeaseTTL, now: o.Now, ids: hex.EncodeToString(id[:]) + ":"}
	if l.prefix == "" {
		l.prefix = "sluice:limits:"
	}
	if o.HashTag != "" {
		l.prefix += "{" + o.HashTag + "}:"
	}
	if l.lease == 0 {
		l.lease = 10 * time.Minute
	}
	return l, nil
}

// Admit implements limits.Limiter: one EVALSHA.
func (l *Limiter) Admit(ctx context.Context, req limits.Request) (limits.Ticket, limits.Result, error) {
	if err := req.Validate(); err != nil {
		return limits.NoTicket, limits.Result{}, err
	}
	if len(req.Rules) == 0 {
		return limits.NoTicket, limits.Result{Allowed: true}, nil
	}
	id := l.ids + strconv.FormatUint(l.seq.Add(1), 36)
	args := make([]any, 0, 7+5*len(req.Rules))
	args = append(args, l.clock(), int64(limits.Window/time.Microsecond), int64(l.lease/time.Microsecond), id,
		req.Cost(limits.Tokens), req.Cost(limits.InputTokens), req.Cost(limits.OutputTokens))
	args = appendLimits(args, req.Rules)

	reply, err := admitScript.Run(ctx, l.rdb, l.keys(req.Rules), args...).Slice()
	if err != nil {
		return limits.NoTicket, limits.Result{}, l.fail(ctx, "admit", err)
	}
	allowed, st, err := parseAdmit(reply, len(req.Rules))
	if err != nil {
		return limits.NoTicket, limits.Result{}, fmt.Errorf("%w: redis admit: %w", limits.ErrUnavailable, err)
	}
	res := limits.Outcome(&req, st, allowed)
	if !allowed {
		return limits.NoTicket, res, nil
	}
	req.Rules = append([]limits.Rule(nil), req.Rules...)
	return &ticket{l: l, req: req, id: id}, res, nil
}

// clock is the script's notion of now: zero asks for the server's clock.
func (l *Limiter) clock() int64 {
	if l.now == nil {
		return 0
	}
	return l.now().UnixMicro()
}

func (l *Limiter) keys(rules []limits.Rule) []string {
	keys := make([]string, 0, 2*len(rules))
	for i := range rules {
		keys = append(keys, l.prefix+"b:"+rules[i].Scope, l.prefix+"c:"+rules[i].Scope)
	}
	return keys
}

func appendLimits(args []any, rules []limits.Rule) []any {
	for i := range rules {
		r := &rules[i]
		args = append(args, r.RequestsPerMinute, r.TokensPerMinute, r.InputTokensPerMinute, r.OutputTokensPerMinute, r.MaxConcurrent)
	}
	return args
}

// fail classifies a Redis error: the caller's own cancellation stays what
// it is; anything else means the shared state is unavailable.
func (l *Limiter) fail(ctx context.Context, op string, err error) error {
	if ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		return fmt.Errorf("redislimit: %s: %w", op, err)
	}
	return fmt.Errorf("%w: redis %s: %w", limits.ErrUnavailable, op, err)
}

// parseAdmit reads admit.lua's reply: {allowed, then per rule: denied mask,
// in flight, four levels}.
func parseAdmit(reply []any, rules int) (bool, []limits.State, error) {
	const perRule = 2 + limits.RateDimensions
	if len(reply) != 1+perRule*rules {
		return false, nil, fmt.Errorf("reply has %d values, want %d", len(reply), 1+perRule*rules)
	}
	allowed, err := integer(reply[0])
	if err != nil {
		return false, nil, err
	}
	st := make([]limits.State, rules)
	for i := range st {
		v := reply[1+perRule*i:]
		mask, err := integer(v[0])
		if err != nil {
			return false, nil, err
		}
		if st[i].InFlight, err = integer(v[1]); err != nil {
			return false, nil, err
		}
		st[i].Denied = uint8(mask) //nolint:gosec // a five-bit mask
		for d := range limits.RateDimensions {
			s, ok := v[2+d].(string)
			if !ok {
				return false, nil, fmt.Errorf("level is %T, want a string", v[2+d])
			}
			if st[i].Level[d], err = strconv.ParseFloat(s, 64); err != nil {
				return false, nil, fmt.Errorf("level: %w", err)
			}
		}
	}
	return allowed == 1, st, nil
}

func integer(v any) (int64, error) {
	n, ok := v.(int64)
	if !ok {
		return 0, fmt.Errorf("got %T, want an integer", v)
	}
	return n, nil
}

type ticket struct {
	l    *Limiter
	req  limits.Request
	id   string
	done atomic.Bool
}

func (t *ticket) Settle(ctx context.Context, actualInput, actualOutput int64) error {
	if err := limits.ValidateUsage(actualInput, actualOutput); err != nil {
		return err
	}
	if t.done.Swap(true) {
		return nil
	}
	return t.l.end(ctx, t, t.req.Correction(actualInput, actualOutput))
}

func (t *ticket) Release(ctx context.Context) error {
	if t.done.Swap(true) {
		return nil
	}
	return t.l.end(ctx, t, [limits.RateDimensions]int64{})
}

// end runs settle.lua, or nothing when it would change nothing.
func (l *Limiter) end(ctx context.Context, t *ticket, c [limits.RateDimensions]int64) error {
	release, correct := false, false
	for i := range t.req.Rules {
		r := &t.req.Rules[i]
		release = release || r.MaxConcurrent > 0
		for d := limits.Tokens; d < limits.RateDimensions; d++ {
			correct = correct || (c[d] != 0 && r.Limit(d) > 0)
		}
	}
	if !release && !correct {
		return nil
	}
	args := make([]any, 0, 7+5*len(t.req.Rules))
	args = append(args, l.clock(), int64(limits.Window/time.Microsecond), t.id, boolArg(release),
		c[limits.Tokens], c[limits.InputTokens], c[limits.OutputTokens])
	args = appendLimits(args, t.req.Rules)
	if err := settleScript.Run(ctx, l.rdb, l.keys(t.req.Rules), args...).Err(); err != nil {
		return l.fail(ctx, "settle", err)
	}
	return nil
}

func boolArg(b bool) int {
	if b {
		return 1
	}
	return 0
}
