// Package memlimit is the in-process limits.Limiter: Sluice's default, and
// the local fallback when a shared limiter is unavailable.
//
// State is a map per shard, each behind its own mutex. A request locks the
// shards of all its scopes (in index order, so two requests never wait on
// each other in a cycle), checks every rule, charges all or none, and
// unlocks: that is what makes layered rules atomic. Entries that have fully
// drained and hold no slot are swept a few at a time as shards are used.
package memlimit

import (
	"context"
	"hash/maphash"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sluice-gw/sluice/pkg/limits"
)

// Options configures a Limiter.
type Options struct {
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Shards is the number of independently locked maps, rounded up to a
	// power of two. Default 64.
	Shards int
}

// Limiter keeps limit state in process memory.
type Limiter struct {
	now    func() time.Time
	seed   maphash.Seed
	mask   uint64
	shards []shard
}

type shard struct {
	mu      sync.Mutex
	entries map[string]*entry
	ops     uint32
	_       [40]byte // keeps neighbouring shards' locks off one cache line
}

// entry is one scope's state. at is the Unix microsecond its levels were
// drained to; idle is when they will all be empty.
type entry struct {
	st   limits.State
	at   int64
	idle int64
}

// sweepEvery and sweepBatch bound the cost of forgetting idle scopes: every
// sweepEvery-th use of a shard looks at up to sweepBatch of its entries.
const (
	sweepEvery = 32
	sweepBatch = 16
	maxStack   = 8 // rules held on the stack before a request allocates
)

// New returns an empty in-memory limiter.
func New(o Options) *Limiter {
	n := 64
	if o.Shards > 0 {
		n = 1
		for n < o.Shards {
			n <<= 1
		}
	}
	l := &Limiter{now: o.Now, seed: maphash.MakeSeed(), mask: uint64(n - 1), shards: make([]shard, n)}
	if l.now == nil {
		l.now = time.Now
	}
	for i := range l.shards {
		l.shards[i].entries = make(map[string]*entry)
	}
	return l
}

// Admit implements limits.Limiter.
func (l *Limiter) Admit(_ context.Context, req limits.Request) (limits.Ticket, limits.Result, error) {
	if err := req.Validate(); err != nil {
		return limits.NoTicket, limits.Result{}, err
	}
	if len(req.Rules) == 0 {
		return limits.NoTicket, limits.Result{Allowed: true}, nil
	}
	var stBuf [maxStack]limits.State
	var entBuf [maxStack]*entry
	st, ents := stBuf[:0], entBuf[:0]
	if n := len(req.Rules); n > maxStack {
		st, ents = make([]limits.State, 0, n), make([]*entry, 0, n)
	}

	now := l.now().UnixMicro()
	locked := l.lock(req.Rules)
	for i := range req.Rules {
		e := l.entry(&req.Rules[i], now)
		ents = append(ents, e)
		st = append(st, e.st)
	}
	allowed := limits.Check(&req, st)
	if allowed {
		limits.Charge(&req, st)
		for i, e := range ents {
			e.st = st[i]
			e.touch(&req.Rules[i])
		}
	}
	l.unlock(&locked, now)

	res := limits.Outcome(&req, st, allowed)
	if !allowed {
		return limits.NoTicket, res, nil
	}
	return newTicket(l, req), res, nil
}

// inlineRules is how many rules a ticket holds without a second
// allocation: layered key, team and tenant rules fit.
const inlineRules = 4

// newTicket keeps its own copy of the rules: the caller may reuse its slice.
func newTicket(l *Limiter, req limits.Request) *ticket {
	t := &ticket{l: l, req: req}
	if len(req.Rules) <= inlineRules {
		t.req.Rules = append(t.rules[:0], req.Rules...)
	} else {
		t.req.Rules = append([]limits.Rule(nil), req.Rules...)
	}
	return t
}

// entry returns the scope's entry drained to now, creating it if need be.
// The scope's shard must be locked.
func (l *Limiter) entry(r *limits.Rule, now int64) *entry {
	s := &l.shards[l.shardOf(r.Scope)]
	e := s.entries[r.Scope]
	if e == nil {
		e = &entry{at: now}
		s.entries[r.Scope] = e
	}
	elapsed := now - e.at
	for d := range limits.RateDimensions {
		e.st.Level[d] = limits.Drain(e.st.Level[d], r.Limit(limits.Dimension(d)), elapsed)
	}
	// A clock that steps back must not drain the same time twice.
	e.at = max(e.at, now)
	return e
}

func (e *entry) touch(r *limits.Rule) {
	e.idle = e.at + int64(limits.IdleAfter(r, &e.st)/time.Microsecond)
}

func (l *Limiter) shardOf(scope string) uint64 {
	return maphash.String(l.seed, scope) & l.mask
}

// lockSet is the sorted, distinct shard indexes a request holds.
type lockSet struct {
	idx [maxStack]uint64
	n   int
	all bool // too many scopes to list: every shard is locked
}

func (l *Limiter) lock(rules []limits.Rule) lockSet {
	var ls lockSet
	if len(rules) > maxStack {
		ls.all = true
		for i := range l.shards {
			l.shards[i].mu.Lock()
		}
		return ls
	}
	for i := range rules {
		ls.add(l.shardOf(rules[i].Scope))
	}
	for _, i := range ls.idx[:ls.n] {
		l.shards[i].mu.Lock()
	}
	return ls
}

// add inserts i in order, once.
func (ls *lockSet) add(i uint64) {
	j := 0
	for j < ls.n && ls.idx[j] < i {
		j++
	}
	if j < ls.n && ls.idx[j] == i {
		return
	}
	copy(ls.idx[j+1:ls.n+1], ls.idx[j:ls.n])
	ls.idx[j] = i
	ls.n++
}

func (l *Limiter) unlock(ls *lockSet, now int64) {
	if ls.all {
		for i := range l.shards {
			l.shards[i].mu.Unlock()
		}
		return
	}
	for _, i := range ls.idx[:ls.n] {
		s := &l.shards[i]
		if s.ops++; s.ops%sweepEvery == 0 {
			s.sweep(now)
		}
		s.mu.Unlock()
	}
}

// sweep forgets up to sweepBatch idle entries. Map iteration starts at a
// random place, so repeated sweeps cover the whole map.
func (s *shard) sweep(now int64) {
	n := 0
	for k, e := range s.entries {
		if e.st.InFlight == 0 && e.idle <= now {
			delete(s.entries, k)
		}
		if n++; n == sweepBatch {
			return
		}
	}
}

// Len counts the scopes currently held in memory.
func (l *Limiter) Len() int {
	n := 0
	for i := range l.shards {
		s := &l.shards[i]
		s.mu.Lock()
		n += len(s.entries)
		s.mu.Unlock()
	}
	return n
}

type ticket struct {
	l     *Limiter
	req   limits.Request
	done  atomic.Bool
	rules [inlineRules]limits.Rule
}

func (t *ticket) Settle(_ context.Context, actualInput, actualOutput int64) error {
	if err := limits.ValidateUsage(actualInput, actualOutput); err != nil {
		return err
	}
	if t.done.Swap(true) {
		return nil
	}
	t.l.end(&t.req, t.req.Correction(actualInput, actualOutput))
	return nil
}

func (t *ticket) Release(context.Context) error {
	if t.done.Swap(true) {
		return nil
	}
	t.l.end(&t.req, [limits.RateDimensions]int64{})
	return nil
}

// end applies a correction and frees the request's slots.
func (l *Limiter) end(req *limits.Request, c [limits.RateDimensions]int64) {
	now := l.now().UnixMicro()
	locked := l.lock(req.Rules)
	for i := range req.Rules {
		r := &req.Rules[i]
		e := l.entry(r, now)
		limits.Correct(r, &e.st, c)
		if r.MaxConcurrent > 0 && e.st.InFlight > 0 {
			e.st.InFlight--
		}
		e.touch(r)
	}
	l.unlock(&locked, now)
}
