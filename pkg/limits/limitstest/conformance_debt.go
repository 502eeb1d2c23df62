package limitstest

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/sluice-gw/sluice/pkg/limits"
)

// The debt model's guarantee, checked with the clock stopped so nothing
// drains. Admission is one atomic check-and-charge, so the estimates
// admitted never exceed the limit however many requests race for it. Usage
// passes the limit only through under-estimates settled after the last
// admission, one per request then in flight: the overshoot is at most the
// sum of their errors, so at most (requests in flight) x (largest error).

const (
	burstLimit   = 10000
	burstWorkers = 200
	maxUnder     = 50 // the largest under-estimate any request makes
	maxEstimate  = 120
)

// burstRequest is request i's estimate and its actual usage: estimates of
// 80 to 120 tokens, errors from 20 over to maxUnder under.
func burstRequest(i int, exact bool) (estIn, estOut, actIn, actOut int64) {
	estIn, estOut = 40+int64(i%5)*10, 40
	actIn, actOut = estIn, estOut
	if !exact {
		actOut += int64(i%8-2) * 10
	}
	return estIn, estOut, actIn, actOut
}

// burst is what a run of runBurst admitted and used.
type burst struct {
	admitted  int64
	estimated int64 // the estimates admitted
	used      int64 // the actual usage of the admitted requests
	under     int64 // the sum of their under-estimates
	overlap   int64 // the most requests ever between admission and settlement
}

func testDebtBurst(t *testing.T, f Factory) {
	cases := []struct {
		name          string
		maxConcurrent int64
		exact         bool
		hold          bool // every admitted request stays in flight until all have tried
	}{
		{"exact estimates never overshoot", 0, true, true},
		{"overshoot is at most the under-estimates in flight", 0, false, true},
		{"a concurrency limit of 8 caps the overshoot at 8 errors", 8, false, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			lim := f(t, NewClock().Now)
			rule := limits.Rule{Scope: "tenant:burst", TokensPerMinute: burstLimit, MaxConcurrent: tc.maxConcurrent}
			b := runBurst(t, lim, rule, tc.exact, tc.hold)

			bound := int64(burstLimit) + b.under
			if tc.maxConcurrent > 0 {
				bound = burstLimit + min(tc.maxConcurrent, b.overlap)*maxUnder
			}
			t.Logf("%d of %d admitted: %d tokens estimated, %d used (limit %d, bound %d, %d overlapped)",
				b.admitted, burstWorkers, b.estimated, b.used, burstLimit, bound, b.overlap)
			if tc.hold && b.estimated > burstLimit {
				t.Errorf("admitted %d estimated tokens, over the limit %d: admission is not atomic", b.estimated, burstLimit)
			}
			if b.used > bound {
				t.Errorf("used %d tokens, over the bound %d", b.used, bound)
			}
			if tc.exact && b.used <= burstLimit-maxEstimate {
				t.Errorf("used only %d of %d tokens: refusals left room for another request", b.used, burstLimit)
			}
			checkDebtBlocks(t, lim, rule, b.used)
		})
	}
}

// runBurst starts every worker at once; each admits its request (trying
// again while only the concurrency limit refuses it) and settles it: at
// once, or with hold only after every worker has tried.
func runBurst(t *testing.T, lim limits.Limiter, rule limits.Rule, exact, hold bool) burst {
	ctx := context.Background()
	var (
		wg, tried                                sync.WaitGroup
		start, settle                            = make(chan struct{}), make(chan struct{})
		admitted, estimated, used, under, inside atomic.Int64
		overlap                                  atomic.Int64
	)
	tried.Add(burstWorkers)
	go func() { tried.Wait(); close(settle) }()
	for i := range burstWorkers {
		wg.Go(func() {
			<-start
			estIn, estOut, actIn, actOut := burstRequest(i, exact)
			req := limits.Request{Rules: []limits.Rule{rule}, InputTokens: estIn, OutputTokens: estOut}
			tk, ok := admitRetrying(t, lim, req, &inside, &overlap)
			tried.Done()
			if !ok {
				return
			}
			if hold {
				<-settle
			} else {
				runtime.Gosched()
			}
			if err := tk.Settle(ctx, actIn, actOut); err != nil {
				t.Errorf("settle: %v", err)
			}
			inside.Add(-1)
			admitted.Add(1)
			estimated.Add(estIn + estOut)
			used.Add(actIn + actOut)
			under.Add(max(actIn+actOut-estIn-estOut, 0))
		})
	}
	close(start)
	wg.Wait()
	return burst{admitted.Load(), estimated.Load(), used.Load(), under.Load(), overlap.Load()}
}

// admitRetrying admits req, trying again while only a concurrency limit
// refuses it. inside counts the requests between admission and settlement
// (from just before they ask), and overlap keeps its peak.
func admitRetrying(t *testing.T, lim limits.Limiter, req limits.Request, inside, overlap *atomic.Int64) (limits.Ticket, bool) {
	for {
		raise(overlap, inside.Add(1))
		tk, res, err := lim.Admit(context.Background(), req)
		if err == nil && res.Allowed {
			return tk, true
		}
		inside.Add(-1)
		if err != nil {
			t.Errorf("admit: %v", err)
			return nil, false
		}
		if res.Denial.Dimension != limits.Concurrent {
			return nil, false
		}
		runtime.Gosched()
	}
}

// raise sets v to n if n is larger.
func raise(v *atomic.Int64, n int64) {
	for p := v.Load(); n > p; p = v.Load() {
		if v.CompareAndSwap(p, n) {
			return
		}
	}
}

// checkDebtBlocks checks the limiter's own view of what was used: what
// remains, and that debt refuses the next request until it drains.
func checkDebtBlocks(t *testing.T, lim limits.Limiter, rule limits.Rule, used int64) {
	t.Helper()
	_, res, err := lim.Admit(context.Background(), limits.Request{Rules: []limits.Rule{rule}, InputTokens: 1})
	if err != nil {
		t.Fatal(err)
	}
	switch limit := rule.TokensPerMinute; {
	case used+1 <= limit:
		if !res.Allowed || res.Tokens.Remaining != limit-used-1 {
			t.Errorf("after %d used: allowed=%v remaining=%d, want allowed with %d left", used, res.Allowed, res.Tokens.Remaining, limit-used-1)
		}
	default:
		want := limits.Outcome(&limits.Request{Rules: []limits.Rule{rule}, InputTokens: 1},
			[]limits.State{{Level: [limits.RateDimensions]float64{limits.Tokens: float64(used)}, Denied: 1 << limits.Tokens}}, false)
		if res.Allowed || res.RetryAfter != want.RetryAfter {
			t.Errorf("after %d used: allowed=%v retry after %s; want refused for %s while the debt drains", used, res.Allowed, res.RetryAfter, want.RetryAfter)
		}
	}
}

// testDebtSequential: requests that never overlap overshoot by at most one
// request's under-estimate, the one admitted last.
func testDebtSequential(t *testing.T, f Factory) {
	ctx := context.Background()
	lim := f(t, NewClock().Now)
	rule := limits.Rule{Scope: "key:seq", TokensPerMinute: 1000}
	var used int64
	for {
		tk, res, err := lim.Admit(ctx, limits.Request{Rules: []limits.Rule{rule}, InputTokens: 70, OutputTokens: 30})
		if err != nil {
			t.Fatal(err)
		}
		if !res.Allowed {
			break
		}
		if err := tk.Settle(ctx, 70, 30+maxUnder); err != nil {
			t.Fatal(err)
		}
		used += 100 + maxUnder
	}
	if used > 1000+maxUnder {
		t.Errorf("used %d tokens, over limit + one error (%d)", used, 1000+maxUnder)
	}
	checkDebtBlocks(t, lim, rule, used)
}
