package admit

import (
	"context"
	"errors"
	"time"

	"github.com/sluice-gw/sluice/pkg/budget"
)

// budgetRetry is how long budget calls skip a store that failed.
const budgetRetry = time.Second

// ErrBudgetsDown is returned, without asking the store, while the budget
// store is treated as down after a failure.
var ErrBudgetsDown = errors.New("budgets: store unavailable; retrying shortly")

// CheckBudgets is Budgets().Check, kept away from a store that has just
// failed. Without budgets it allows everything.
func (s *State) CheckBudgets(ctx context.Context, scopes []budget.Scope) (budget.Decision, error) {
	t := s.Budgets()
	if t == nil {
		return budget.Decision{Allowed: true, RemainingFraction: 1}, nil
	}
	if err := s.budgetsDown(); err != nil {
		return budget.Decision{}, err
	}
	d, err := t.Check(ctx, scopes)
	s.budgetsResult(ctx, err)
	return d, err
}

// ChargeBudgets is Budgets().Charge, kept away from a store that has just
// failed.
func (s *State) ChargeBudgets(ctx context.Context, scopes []budget.Scope, micros int64) error {
	t := s.Budgets()
	if t == nil {
		return nil
	}
	if err := s.budgetsDown(); err != nil {
		return err
	}
	_, err := t.Charge(ctx, scopes, micros)
	s.budgetsResult(ctx, err)
	return err
}

func (s *State) budgetsDown() error {
	if d := s.budgetsDownUntil.Load(); d != 0 && time.Now().UnixNano() < d {
		return ErrBudgetsDown
	}
	return nil
}

func (s *State) budgetsResult(ctx context.Context, err error) {
	switch {
	case err == nil:
		if s.budgetsDownUntil.Load() != 0 {
			s.budgetsDownUntil.Store(0)
		}
	case ctx.Err() == nil: // a caller giving up says nothing about the store
		s.budgetsDownUntil.Store(time.Now().Add(budgetRetry).UnixNano())
	}
}

// notifier logs every budget crossing and hands it to the current webhook.
type notifier struct{ s *State }

func (n notifier) Notify(c budget.Crossing) {
	n.s.log.Warn("budget threshold crossed", "budget", c.Budget.Name, "scope", c.Budget.Scope.String(),
		"threshold_percent", c.Threshold, "spent_micros", c.SpentMicros, "limit_micros", c.Budget.LimitMicros,
		"on_exceed", string(c.Budget.OnExceed), "period_end", c.PeriodEnd)
	if hook := n.s.hook.Load(); hook != nil {
		hook.Notify(c)
	}
}
