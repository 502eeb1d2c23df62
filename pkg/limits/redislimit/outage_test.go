package redislimit_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sluice-gw/sluice/pkg/limits"
	"github.com/sluice-gw/sluice/pkg/limits/limitstest"
	"github.com/sluice-gw/sluice/pkg/limits/memlimit"
	"github.com/sluice-gw/sluice/pkg/limits/redislimit"
	"github.com/sluice-gw/sluice/pkg/redistest"
)

// TestFailClosed: with Redis down every decision is an error the caller
// turns into a 503, and decisions resume by themselves when it is back.
func TestFailClosed(t *testing.T) {
	ctx := context.Background()
	srv := redistest.StartRedis(t)
	lim := newLimiter(t, srv.Client(t), redislimit.Options{})
	req := limits.Request{Rules: []limits.Rule{{Scope: "key:k", RequestsPerMinute: 100, TokensPerMinute: 1000, MaxConcurrent: 5}}, InputTokens: 10}
	held, res, err := lim.Admit(ctx, req)
	if err != nil || !res.Allowed {
		t.Fatalf("before the outage: allowed=%v err=%v", res.Allowed, err)
	}

	srv.Stop(t)
	tk, res, err := lim.Admit(ctx, req)
	if !errors.Is(err, limits.ErrUnavailable) || res.Allowed || tk != limits.NoTicket {
		t.Fatalf("during the outage: allowed=%v ticket=%v err=%v, want ErrUnavailable", res.Allowed, tk, err)
	}
	if err := held.Settle(ctx, 10, 20); !errors.Is(err, limits.ErrUnavailable) {
		t.Errorf("settling during the outage: %v, want ErrUnavailable", err)
	}

	srv.Restart(t)
	if _, res, err := lim.Admit(ctx, req); err != nil || !res.Allowed {
		t.Errorf("after the outage: allowed=%v err=%v, want admitted without a restart", res.Allowed, err)
	}
}

// TestFailOpenRecovers stops redis-server in the middle of the test: the
// replica decides locally on its share of each limit, counts every such
// decision, and goes back to Redis once it answers again.
func TestFailOpenRecovers(t *testing.T) {
	ctx := context.Background()
	clock := limitstest.NewClock()
	srv := redistest.StartRedis(t)
	primary := newLimiter(t, srv.Client(t), redislimit.Options{Now: clock.Now})
	f, err := limits.NewFailOpen(primary, memlimit.New(memlimit.Options{Now: clock.Now}), limits.FailOpenOptions{
		Replicas: 2, RetryInterval: time.Second, Now: clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	req := limits.Request{Rules: []limits.Rule{{Scope: "tenant:t", RequestsPerMinute: 10, MaxConcurrent: 20}}}
	admit := func(step string, allowed bool, limit int64, decisions uint64) limits.Ticket {
		t.Helper()
		tk, res, err := f.Admit(ctx, req)
		if err != nil || res.Allowed != allowed || res.Requests.Limit != limit || f.FailOpenDecisions() != decisions {
			t.Fatalf("%s: allowed=%v limit=%d fail-open decisions=%d err=%v; want allowed=%v limit=%d decisions=%d",
				step, res.Allowed, res.Requests.Limit, f.FailOpenDecisions(), err, allowed, limit, decisions)
		}
		return tk
	}

	shared := admit("redis up", true, 10, 0)
	admit("redis up", true, 10, 0)

	srv.Stop(t)
	local := admit("redis down: this replica's half", true, 5, 1)
	for i := range 4 {
		admit("redis down: this replica's half", true, 5, uint64(2+i))
	}
	admit("redis down: half used", false, 5, 6)
	if err := local.Settle(ctx, 0, 0); err != nil {
		t.Errorf("settling a local ticket: %v", err)
	}

	srv.Restart(t)
	admit("redis back, before the retry interval", false, 5, 7)
	clock.Advance(time.Second)
	admit("redis back: the probe", true, 10, 7)
	admit("redis back", true, 10, 7)
	if err := shared.Settle(ctx, 0, 0); err != nil {
		t.Errorf("settling a ticket from before the outage: %v", err)
	}
}
