package limits_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluice-gw/sluice/pkg/limits"
	"github.com/sluice-gw/sluice/pkg/limits/limitstest"
	"github.com/sluice-gw/sluice/pkg/limits/memlimit"
)

// flaky is a primary that fails with err while down, and otherwise admits
// everything.
type flaky struct {
	down  atomic.Bool
	err   error
	calls atomic.Int64
}

func (f *flaky) Admit(context.Context, limits.Request) (limits.Ticket, limits.Result, error) {
	f.calls.Add(1)
	if f.down.Load() {
		return limits.NoTicket, limits.Result{}, f.err
	}
	return limits.NoTicket, limits.Result{Allowed: true}, nil
}

func TestFailOpen(t *testing.T) {
	ctx := context.Background()
	clock := limitstest.NewClock()
	primary := &flaky{err: fmt.Errorf("%w: connection refused", limits.ErrUnavailable)}
	var hooked atomic.Int64
	f, err := limits.NewFailOpen(primary, memlimit.New(memlimit.Options{Now: clock.Now}), limits.FailOpenOptions{
		Replicas: 4, RetryInterval: time.Second, Now: clock.Now,
		OnFailOpen: func(err error) {
			if !errors.Is(err, limits.ErrUnavailable) {
				t.Errorf("hook got %v", err)
			}
			hooked.Add(1)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	req := limits.Request{Rules: []limits.Rule{{Scope: "tenant:t", RequestsPerMinute: 10}}}
	admit := func(step string, want bool) limits.Result {
		t.Helper()
		_, res, err := f.Admit(ctx, req)
		if err != nil || res.Allowed != want {
			t.Fatalf("%s: allowed=%v err=%v, want allowed=%v", step, res.Allowed, err, want)
		}
		return res
	}

	admit("healthy", true)
	primary.down.Store(true)
	res := admit("first failure", true)
	if res.Requests.Limit != 2 {
		t.Errorf("local share of 10 rpm over 4 replicas = %d, want 2", res.Requests.Limit)
	}
	admit("local share", true)
	admit("local share exhausted", false)
	if n := primary.calls.Load(); n != 2 {
		t.Errorf("primary asked %d times, want 2: it is not asked again before the retry interval", n)
	}

	clock.Advance(time.Second)
	admit("probe fails, still local", false)
	if n := primary.calls.Load(); n != 3 {
		t.Errorf("primary asked %d times, want 3 (one probe)", n)
	}
	primary.down.Store(false)
	clock.Advance(time.Second)
	admit("probe succeeds", true)
	admit("recovered", true)
	if got, want := f.FailOpenDecisions(), uint64(4); got != want || hooked.Load() != int64(want) {
		t.Errorf("fail-open decisions = %d (hook %d), want %d", got, hooked.Load(), want)
	}
}

func TestFailOpenKeepsOtherErrors(t *testing.T) {
	ctx := context.Background()
	for _, primaryErr := range []error{
		fmt.Errorf("%w: rules[0]: empty scope", limits.ErrInvalid),
		context.Canceled,
	} {
		primary := &flaky{err: primaryErr}
		primary.down.Store(true)
		f, err := limits.NewFailOpen(primary, memlimit.New(memlimit.Options{}), limits.FailOpenOptions{Replicas: 1})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := f.Admit(ctx, limits.Request{}); !errors.Is(err, primaryErr) {
			t.Errorf("err = %v, want %v", err, primaryErr)
		}
		if f.FailOpenDecisions() != 0 {
			t.Errorf("%v: decided locally", primaryErr)
		}
	}

	primary := &flaky{err: limits.ErrUnavailable}
	primary.down.Store(true)
	f, _ := limits.NewFailOpen(primary, memlimit.New(memlimit.Options{}), limits.FailOpenOptions{Replicas: 1})
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, _, err := f.Admit(cancelled, limits.Request{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled caller: err = %v, want context.Canceled", err)
	}
}

func TestNewFailOpenRejects(t *testing.T) {
	m := memlimit.New(memlimit.Options{})
	tests := []struct {
		name string
		o    limits.FailOpenOptions
		p    limits.Limiter
	}{
		{"no primary", limits.FailOpenOptions{Replicas: 1}, nil},
		{"no replicas", limits.FailOpenOptions{}, m},
		{"negative retry", limits.FailOpenOptions{Replicas: 1, RetryInterval: -time.Second}, m},
	}
	for _, tc := range tests {
		if _, err := limits.NewFailOpen(tc.p, m, tc.o); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
}
