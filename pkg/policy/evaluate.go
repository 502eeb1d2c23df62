package policy

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/metrics"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/topdown"

	"github.com/sluice-gw/sluice/pkg/policyvm"
)

// StackBytes is the stack one evaluation needs; a caller that reserves it
// before its own frames pile up spares the evaluation a deep stack growth
// (see package stackroom).
const StackBytes = policyvm.StackBytes

// Evaluate asks the policy about one request. The Decision is never nil
// and is the one to enforce: when Allow is false, Status and Reason are
// for the client, and DecisionID belongs in the response either way.
//
// The error, when there is one, explains a problem already handled in the
// Decision. It wraps ErrMalformed for a decision that broke the contract
// (a deny, Status 403). It wraps ErrPolicy for a runtime failure: the
// Decision fails closed with Status 503, unless FailOpen (FailedOpen set)
// or DryRun (DryRunDenied set) let the request through.
func (e *Engine) Evaluate(ctx context.Context, in *Input) (*Decision, error) {
	if in == nil {
		in = &Input{}
	}
	st := e.cur.Load()
	now := in.Time
	if now.IsZero() {
		now = e.opts.Now()
	}
	ev := &logEvent{decisionID: newDecisionID(), timestamp: now, revision: st.policy.revision, bundle: st.policy.bundle}
	var (
		result     *ast.Term
		remembered bool
		err        error
	)
	input, err := in.toAST(&builder{names: st.strings, ids: st.ids}, e.timeTerm(now))
	if err == nil {
		ev.input = input.Value
		start := time.Now()
		if st.vm != nil {
			result, remembered, err = st.vm.EvalRemembered(ctx, input, policyvm.Options{Time: now})
		} else {
			result, err = e.eval(ctx, st, policyvm.Plain(input).Value, now)
		}
		ev.evalNS = time.Since(start).Nanoseconds()
	}
	d, err := e.decide(st, result, err, ev)
	d.Remembered = remembered
	e.counters.outcomes[ev.outcome].Add(1)
	if d.DryRunDenied {
		e.logDryRun(d, err)
	}
	if e.log != nil {
		ev.err = err
		ev.dryRun = e.opts.Mode == DryRun
		e.log.send(ev)
	}
	return d, err
}

func (e *Engine) logDryRun(d *Decision, err error) {
	attrs := []any{"decision_id", d.DecisionID, "status", d.Status, "reason", d.Reason, "reasons", d.Reasons}
	if err != nil {
		attrs = append(attrs, "error", err)
	}
	e.opts.Logger.Info("policy: dry run: request would be denied", attrs...)
}

var noMetrics = metrics.NoOp()

// secondTime is input.time for one second.
type secondTime struct {
	unix int64
	term *ast.Term
}

// timeTerm returns input.time for t, built once a second.
func (e *Engine) timeTerm(t time.Time) *ast.Term {
	sec := t.Unix()
	if c := e.time.Load(); c != nil && c.unix == sec {
		return c.term
	}
	term := newTimeTerm(t)
	e.time.Store(&secondTime{unix: sec, term: term})
	return term
}

// eval evaluates the query with OPA's interpreter; the result is nil when
// the decision is undefined.
func (e *Engine) eval(ctx context.Context, st *state, input ast.Value, now time.Time) (*ast.Term, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// OPA would start a goroutine per evaluation to watch ctx; a callback
	// registered on ctx does the same job for free when ctx never ends.
	cancel := topdown.NewCancel()
	stop := context.AfterFunc(ctx, cancel.Cancel)
	defer stop()
	vc := newEvalCache(st.consts)
	rs, err := st.query.Eval(ctx,
		rego.EvalParsedInput(input),
		rego.EvalTime(now),
		rego.EvalMetrics(noMetrics),
		rego.EvalExternalCancel(cancel),
		rego.EvalGenerateJSON(asTerm),
		rego.EvalVirtualCache(vc),
	)
	if err != nil {
		return nil, err
	}
	vc.commit()
	if len(rs) == 0 || len(rs[0].Expressions) == 0 {
		return nil, nil
	}
	t, _ := rs[0].Expressions[0].Value.(*ast.Term)
	if t == nil {
		return nil, errors.New("query result is not a term")
	}
	return t, nil
}

// decide turns a result or error into the decision to enforce, and
// records the outcome and raw result in ev.
func (e *Engine) decide(st *state, result *ast.Term, evalErr error, ev *logEvent) (*Decision, error) {
	if evalErr != nil {
		return e.failed(ev, evalErr)
	}
	var (
		d   *Decision
		err error
	)
	if result == nil {
		d = &Decision{Status: 403, Reason: reasonUndefined}
	} else {
		ev.result = result
		if d, err = parseDecision(ev.result, st.names); err != nil {
			d = &Decision{Status: 403, Reason: reasonMalformed}
		}
	}
	d.DecisionID = ev.decisionID
	switch {
	case err != nil:
		ev.outcome = outcomeMalformed
	case d.Allow:
		ev.outcome = outcomeAllow
	case e.opts.Mode == DryRun:
		ev.outcome = outcomeDryRunDeny
	default:
		ev.outcome = outcomeDeny
	}
	if !d.Allow && e.opts.Mode == DryRun {
		d.Allow, d.DryRunDenied = true, true
	}
	return d, err
}

// failed handles a runtime failure: fail closed, unless DryRun or
// FailOpen let the request through.
func (e *Engine) failed(ev *logEvent, cause error) (*Decision, error) {
	d := &Decision{DecisionID: ev.decisionID}
	switch {
	case e.opts.Mode == DryRun:
		ev.outcome = outcomeError
		d.Allow, d.DryRunDenied, d.Status, d.Reason = true, true, 503, reasonError
	case e.opts.FailOpen:
		ev.outcome = outcomeFailedOpen
		d.Allow, d.FailedOpen = true, true
	default:
		ev.outcome = outcomeError
		d.Status, d.Reason = 503, reasonError
	}
	return d, fmt.Errorf("%w: %w", ErrPolicy, cause)
}
