package admit

import (
	"context"
	"time"

	"github.com/sluice-gw/sluice/pkg/budget"
	"github.com/sluice-gw/sluice/pkg/pipeline"
)

// Budgets is the request stage before the policy that reads what the
// caller's spending budgets have left, so that the policy can route to a
// cheaper model as a budget runs low (input.usage.budget). It refuses
// nothing itself: the admit stage acts on what it found once the policy
// has decided, so that a caller the policy denies hears about that first.
type Budgets struct{ state *State }

// NewBudgets returns the budget stage over state.
func NewBudgets(state *State) *Budgets { return &Budgets{state: state} }

// Name implements pipeline.RequestStage.
func (*Budgets) Name() string { return "budget" }

// OnRequest implements pipeline.RequestStage.
func (b *Budgets) OnRequest(ctx context.Context, x *pipeline.Exchange) error {
	if b.state.Budgets() == nil || !ModelCall(x.API) {
		return nil
	}
	var scopes [MaxBudgetScopes]budget.Scope
	d, err := b.state.CheckBudgets(ctx, BudgetScopes(scopes[:0], x.Identity))
	if err != nil {
		x.Budget = &pipeline.BudgetStanding{RemainingFraction: 1, Err: err}
		return nil
	}
	st := &pipeline.BudgetStanding{RemainingFraction: d.RemainingFraction}
	now := time.Now()
	for _, e := range d.Exceeded {
		_, until := e.Period.Bounds(now)
		action := e.OnExceed
		if action == "" {
			action = budget.Block
		}
		st.Exceeded = append(st.Exceeded, pipeline.ExceededBudget{
			Name: e.Name, Scope: e.Scope.String(), Action: string(action), Until: until,
		})
	}
	x.Budget = st
	return nil
}

// ModelCall reports whether api calls a model, and so is limited,
// budgeted and accounted for.
func ModelCall(api pipeline.API) bool {
	return api == pipeline.APIChat || api == pipeline.APIEmbeddings || api == pipeline.APIMessages
}
