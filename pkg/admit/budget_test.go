package admit_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/sluice-gw/sluice/pkg/admit"
	"github.com/sluice-gw/sluice/pkg/gwerror"
	"github.com/sluice-gw/sluice/pkg/pipeline"
	"github.com/sluice-gw/sluice/pkg/redistest"
)

func budgetCfg(onExceed string) string {
	return base + fmt.Sprintf(`
budgets:
  - {name: acme-monthly, scope: tenant, id: acme, period: monthly, limit: "1.00", on_exceed: %s}
`, onExceed)
}

func TestBudgets(t *testing.T) {
	tests := []struct {
		name     string
		onExceed string
		spent    int64 // micro-USD charged before the request
		plan     pipeline.Plan
		code     gwerror.Code
		fraction float64
	}{
		{"room left", "block", 250_000, pipeline.Plan{}, "", 0.75},
		{"block", "block", 1_000_000, pipeline.Plan{}, gwerror.BudgetExceeded, 0},
		{"downgrade, and the policy chose a cheaper model", "downgrade", 1_000_000, pipeline.Plan{Model: "small"}, "", 0},
		{"downgrade, but the policy kept the model", "downgrade", 1_000_000, pipeline.Plan{Model: "gpt4o"}, gwerror.BudgetExceeded, 0},
		{"alert only reports", "alert", 2_000_000, pipeline.Plan{}, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			snap := snapshot(t, budgetCfg(tt.onExceed))
			st, budgets, stage := newStage(t, snap)
			if _, err := st.Budgets().Charge(context.Background(), admit.BudgetScopes(nil, caller()), tt.spent); err != nil {
				t.Fatal(err)
			}
			x := exchange(snap, caller(), 0)
			if err := budgets.OnRequest(context.Background(), x); err != nil {
				t.Fatal(err)
			}
			if x.Budget == nil || x.Budget.RemainingFraction != tt.fraction {
				t.Fatalf("standing = %+v, want remaining %v", x.Budget, tt.fraction)
			}
			x.Plan = tt.plan // what the policy decided, seeing the standing
			err := stage.OnRequest(context.Background(), x)
			if code(err) != tt.code {
				t.Fatalf("code %q, want %q (%v)", code(err), tt.code, err)
			}
			if err != nil {
				e := gwerror.From(err)
				if e.HTTPStatus() != 429 || e.Headers["x-should-retry"] != "false" || !strings.Contains(e.Message, "acme-monthly") {
					t.Errorf("refusal: %d %v %q", e.HTTPStatus(), e.Headers, e.Message)
				}
			}
		})
	}
}

// With Redis unreachable, fail_closed answers 503 and fail_open lets the
// call through on the replica's share of the limits.
func TestRedisDown(t *testing.T) {
	const cfg = base + `
state:
  redis: {address: "127.0.0.1:1", timeout: 50ms}
%s
limits:
  rules: [{name: per-key, scope: key, requests_per_minute: 10}]
budgets:
  - {name: acme-monthly, scope: tenant, id: acme, period: monthly, limit: "1.00"}
`
	tests := []struct {
		name, mode string
		code       gwerror.Code
		message    string
	}{
		{"fail closed", "", gwerror.LimitsUnavailable, "Spending budgets cannot be checked"},
		{"fail open", "  on_redis_error: fail_open\n  replicas: 2", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			snap := snapshot(t, fmt.Sprintf(cfg, tt.mode))
			st, budgets, stage := newStage(t, snap)
			x := exchange(snap, caller(), 0)
			if err := budgets.OnRequest(context.Background(), x); err != nil {
				t.Fatal(err)
			}
			err := stage.OnRequest(context.Background(), x)
			if code(err) != tt.code || (err != nil && !strings.Contains(gwerror.From(err).Message, tt.message)) {
				t.Fatalf("err = %v, want %q", err, tt.code)
			}
			// Having just failed, the store is left alone for a moment
			// rather than waited for on every request.
			if _, err := st.CheckBudgets(context.Background(), admit.BudgetScopes(nil, caller())); !errors.Is(err, admit.ErrBudgetsDown) {
				t.Errorf("right after a failure: %v, want ErrBudgetsDown", err)
			}
			if tt.code == "" {
				if st.FailOpenDecisions() < 2 { // the budget check and the admission
					t.Errorf("fail-open decisions = %d", st.FailOpenDecisions())
				}
				if got := header(x, "x-ratelimit-limit-requests"); got != "5" {
					t.Errorf("limit while Redis is down = %s, want this replica's share, 5", got)
				}
			}
		})
	}
}

// Replicas sharing one Redis share one limit and one budget.
func TestReplicasShareRedis(t *testing.T) {
	r := redistest.StartRedis(t)
	snap := snapshot(t, base+fmt.Sprintf(`
state: {redis: {address: "%s", key_prefix: "t1:"}}
limits:
  rules: [{name: per-key, scope: key, requests_per_minute: 3}]
budgets:
  - {name: acme-monthly, scope: tenant, id: acme, period: monthly, limit: "1.00"}
`, r.Addr))
	stA, _, a := newStage(t, snap)
	_, budgetsB, b := newStage(t, snap)
	for i, stage := range []*admit.Stage{a, b, a, b} {
		want := gwerror.Code("")
		if i == 3 {
			want = gwerror.RateLimited // the fourth of 3 per minute, whichever replica gets it
		}
		if err := stage.OnRequest(context.Background(), exchange(snap, caller(), 0)); code(err) != want {
			t.Errorf("request %d: %v, want %q", i, err, want)
		}
	}
	if _, err := stA.Budgets().Charge(context.Background(), admit.BudgetScopes(nil, caller()), 1_000_000); err != nil {
		t.Fatal(err)
	}
	x := exchange(snap, caller(), 0)
	if err := budgetsB.OnRequest(context.Background(), x); err != nil || x.Budget.RemainingFraction != 0 {
		t.Errorf("replica B sees %+v, %v", x.Budget, err)
	}
}
