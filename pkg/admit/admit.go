// Package admit decides, after the policy and before the request goes
// anywhere, whether a model call may start: the caller's spending budgets
// must have room, and every rate and concurrency limit that applies must
// pass. An admitted call holds a ticket on its limits, charged with its
// estimated tokens; the account stage corrects it with the real usage when
// the response ends, and the ticket is released however else the request
// ends.
//
// The Budgets stage runs before the policy and only reads, so the policy
// can see what budgets have left. State is what both stages and the
// account stage share. See README.md.
package admit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/sluice-gw/sluice/pkg/budget"
	"github.com/sluice-gw/sluice/pkg/gwerror"
	"github.com/sluice-gw/sluice/pkg/limits"
	"github.com/sluice-gw/sluice/pkg/pipeline"
	"github.com/sluice-gw/sluice/pkg/translate"
)

// EndTimeout bounds a settlement or release after the request has ended,
// when nothing else bounds it.
const EndTimeout = 2 * time.Second

// Stage is the admit stage.
type Stage struct {
	state *State
	est   Estimator
	log   *slog.Logger
}

// New returns the admit stage over state, estimating input tokens with est
// for requests that token limits apply to.
func New(state *State, est Estimator, log *slog.Logger) *Stage {
	return &Stage{state: state, est: est, log: log}
}

// Name implements pipeline.RequestStage.
func (*Stage) Name() string { return "admit" }

// OnRequest implements pipeline.RequestStage.
func (s *Stage) OnRequest(ctx context.Context, x *pipeline.Exchange) error {
	if !ModelCall(x.API) {
		return nil
	}
	if err := s.checkBudgets(x); err != nil {
		return err
	}
	publishCaller(x)
	served := ServedBy(x)
	rules := Rules(x, served)
	est := s.estimate(x, served, rules)
	x.Admission = &pipeline.Admission{Ticket: limits.NoTicket, Estimate: est}
	if len(rules) == 0 {
		return nil
	}
	// The limiter and where it keeps its counters, read together: a reload
	// may swap both.
	cur := s.state.cur.Load()
	ticket, res, err := cur.limiter.Admit(ctx, limits.Request{
		Rules: rules, InputTokens: est.InputTokens, OutputTokens: est.OutputTokens,
	})
	switch {
	case err != nil && ctx.Err() != nil:
		return fmt.Errorf("admit: %w", ctx.Err()) // the client has gone
	case errors.Is(err, limits.ErrUnavailable):
		return gwerror.Wrap(gwerror.LimitsUnavailable, err, "Rate limits cannot be checked right now; please try again shortly.")
	case err != nil:
		return fmt.Errorf("admit: %w", err)
	case !res.Allowed:
		return refusal(&res)
	}
	x.Admission.Ticket, x.Admission.LocalTicket = ticket, cur.rdb == nil
	x.AtEnd(func(ctx context.Context) { s.release(ctx, x) })
	// EachHeader gives them sorted by name, as the client sees them.
	hs := slices.Grow(x.ClientHeaders, 6)
	res.EachHeader(func(k, v string) { hs = append(hs, pipeline.Header{Key: k, Value: v}) })
	x.ClientHeaders = hs
	return nil
}

// release ends a ticket the account stage did not settle: the request
// ended without usage (refused after admission, the client gone), so the
// estimate stays charged.
func (s *Stage) release(ctx context.Context, x *pipeline.Exchange) {
	if x.Admission.Settled {
		return // the account stage ended the ticket
	}
	ctx, cancel := context.WithTimeout(ctx, EndTimeout)
	defer cancel()
	if err := x.Admission.Ticket.Release(ctx); err != nil {
		s.log.Warn("releasing rate limits", "request_id", x.RequestID, "err", err)
	}
}

func (s *Stage) estimate(x *pipeline.Exchange, served Served, rules []limits.Rule) translate.Usage {
	est := Estimator(Approx{})
	if slices.ContainsFunc(rules, func(r limits.Rule) bool {
		return r.TokensPerMinute > 0 || r.InputTokensPerMinute > 0 || r.OutputTokensPerMinute > 0
	}) {
		est = s.est
	}
	return translate.Usage{
		InputTokens:  est.InputTokens(x, served.Upstream),
		OutputTokens: outputAllowance(x),
		Estimated:    true,
	}
}

// checkBudgets refuses a caller whose budget is exhausted: a block budget
// always, a downgrade budget unless the policy routed the request to
// another model. Budgets that could not be read fail closed unless
// state.on_redis_error is fail_open.
func (s *Stage) checkBudgets(x *pipeline.Exchange) error {
	b := x.Budget
	switch {
	case b == nil:
		return nil
	case b.Err != nil && s.state.FailOpen():
		s.state.NoteFailOpen(b.Err)
		return nil
	case b.Err != nil:
		return gwerror.Wrap(gwerror.LimitsUnavailable, b.Err, "Spending budgets cannot be checked right now; please try again shortly.")
	}
	for _, e := range b.Exceeded {
		switch {
		case e.Action == string(budget.Block):
			return exhausted(e, "")
		case e.Action == string(budget.Downgrade) && !downgraded(x):
			return exhausted(e, " No cheaper model is available for this request.")
		}
	}
	return nil
}

// downgraded reports whether the policy serves another model than the one
// asked for.
func downgraded(x *pipeline.Exchange) bool {
	if x.Plan.Model == "" {
		return false
	}
	asked, served := x.Model, x.Plan.Model
	if m, ok := x.Config.Model(asked); ok {
		asked = m.Name
	}
	if m, ok := x.Config.Model(served); ok {
		served = m.Name
	}
	return asked != served
}

func exhausted(e pipeline.ExceededBudget, more string) error {
	err := gwerror.New(gwerror.BudgetExceeded, "Budget '%s' for %s is exhausted until %s.%s",
		e.Name, e.Scope, e.Until.UTC().Format(time.RFC3339), more)
	// Waiting seconds does not help, so the OpenAI SDKs should not retry.
	return err.WithHeader(limits.HeaderShouldRetry, "false")
}

// refusal is the 429 for a request the limits refused, with OpenAI's
// rate-limit headers and wording.
func refusal(res *limits.Result) error {
	d := res.Denial
	rule, scope, _ := strings.Cut(d.Scope, "/")
	what := fmt.Sprintf("%s (rule '%s')", scope, rule)
	var msg string
	switch {
	case d.TooLarge:
		msg = fmt.Sprintf("Request too large for %s on %s per minute: limit %d, requested %d. Reduce the prompt or max_tokens.",
			what, d.Dimension, d.Limit, d.Requested)
	case d.Dimension == limits.Concurrent:
		msg = fmt.Sprintf("Too many requests in flight for %s: limit %d at a time. Please try again in %s.",
			what, d.Limit, limits.FormatReset(res.RetryAfter))
	default:
		msg = fmt.Sprintf("Rate limit reached for %s on %s per minute: limit %d, remaining %d, requested %d. Please try again in %s.",
			what, d.Dimension, d.Limit, d.Remaining, d.Requested, limits.FormatReset(res.RetryAfter))
	}
	return &gwerror.Error{Code: gwerror.RateLimited, Message: msg, Headers: res.Headers()}
}

// publishCaller puts the caller's tenant and key id in Envoy's dynamic
// metadata, for access logs and Envoy's own rate limits.
func publishCaller(x *pipeline.Exchange) {
	id := x.Identity
	if id == nil {
		return
	}
	if id.Tenant != "" {
		x.Out.SetMetadata("tenant", id.Tenant)
	}
	if id.Key != nil {
		x.Out.SetMetadata("key", id.Key.ID)
	}
}
