// Package account is the response stage that closes the books on a model
// call when its response ends: it settles the call's rate limits with the
// usage the provider reported (or keeps the estimate when there is none),
// prices the usage, charges the caller's budgets, publishes the usage as
// Envoy dynamic metadata (namespace sluice) for access logs and Envoy's
// own rate limits, and records it for GET /admin/usage. See README.md.
package account

import (
	"context"
	"log/slog"
	"strconv"
	"time"
	"unsafe"

	"github.com/sluice-gw/sluice/pkg/admit"
	"github.com/sluice-gw/sluice/pkg/budget"
	"github.com/sluice-gw/sluice/pkg/limits"
	"github.com/sluice-gw/sluice/pkg/pipeline"
	"github.com/sluice-gw/sluice/pkg/route"
	"github.com/sluice-gw/sluice/pkg/tokens"
	"github.com/sluice-gw/sluice/pkg/translate"
	"github.com/sluice-gw/sluice/pkg/usagestore"
)

// The dynamic metadata keys Sluice publishes when a response ends.
const (
	MetaInputTokens  = "input_tokens"
	MetaOutputTokens = "output_tokens"
	MetaTotalTokens  = "total_tokens"
	MetaCostMicros   = "cost_micros"
	MetaTenant       = "tenant"
	MetaModel        = "model"
	MetaBackend      = "backend"
)

// Stage is the account stage.
type Stage struct {
	state  *admit.State
	usage  *Log
	log    *slog.Logger
	tokens tokens.Estimator // counts output the provider did not report
	shared *usagestore.Store
	prices priceCache
}

// Share also writes usage records to the Redis the replicas share, when
// the config has one, so that every replica reports the deployment's
// usage and records outlive the replica that took them.
func (s *Stage) Share(st *usagestore.Store) { s.shared = st }

// Shared is the store Share set, or nil.
func (s *Stage) Shared() *usagestore.Store { return s.shared }

// New returns the account stage, charging budgets through state and
// keeping the last records in usage.
func New(state *admit.State, usage *Log, log *slog.Logger) *Stage {
	return &Stage{state: state, usage: usage, log: log}
}

// Name implements pipeline.ResponseStage.
func (*Stage) Name() string { return "account" }

// Usage is the log of recent usage records.
func (s *Stage) Usage() *Log { return s.usage }

// OnResponseHeaders implements pipeline.ResponseStage. An error answer
// (the provider's, or Envoy's own) used no tokens and is accounted for at
// once; a successful one is accounted for when it ends, or with its
// estimate if it never does.
func (s *Stage) OnResponseHeaders(ctx context.Context, x *pipeline.Exchange) error {
	a := x.Admission
	if a == nil || a.Settled {
		return nil
	}
	if !success(x.Status) {
		s.finish(ctx, x, translate.Usage{}, false)
		return nil
	}
	x.AtEnd(func(ctx context.Context) {
		if !a.Settled {
			// The stream was cut before its end (the client went away):
			// charge what the client got.
			s.finish(ctx, x, s.cutShort(x), true)
		}
		release(a)
	})
	return nil
}

// OnResponseBody implements pipeline.ResponseStage.
func (s *Stage) OnResponseBody(ctx context.Context, x *pipeline.Exchange, chunk []byte, end bool) ([]byte, error) {
	a := x.Admission
	if a == nil || a.Settled {
		return chunk, nil
	}
	if x.Streaming {
		keep(a, chunk)
	}
	if !end {
		return chunk, nil
	}
	u, estimated := x.Usage, false
	if u.Estimated || u.InputTokens == 0 && u.OutputTokens == 0 {
		// The provider reported nothing usable: a stream cut short, or a
		// reply without usage.
		if x.Streaming {
			u = s.cutShort(x)
		} else {
			u = s.unreported(x, chunk)
		}
		estimated = true
	}
	s.finish(ctx, x, u, estimated)
	return chunk, nil
}

// cutShort is the usage of a stream that ended before the provider
// reported it: the input the provider did report (Anthropic sends it
// first) or admission's estimate, and the output the client received,
// counted.
func (s *Stage) cutShort(x *pipeline.Exchange) translate.Usage {
	a := x.Admission
	u := translate.Usage{InputTokens: x.Usage.InputTokens, Estimated: true}
	if u.InputTokens == 0 {
		u.InputTokens = a.Estimate.InputTokens
	}
	u.OutputTokens = sentOutputTokens(&s.tokens, x.API == pipeline.APIMessages, a.Sent, a.SentOver, servedBy(x).upstream)
	return u
}

// unreported is the usage of a complete reply that carried none:
// admission's input estimate, and the reply's output text counted.
func (s *Stage) unreported(x *pipeline.Exchange, body []byte) translate.Usage {
	u := translate.Usage{InputTokens: x.Admission.Estimate.InputTokens, Estimated: true}
	if len(body) == 0 {
		u.OutputTokens = x.Admission.Estimate.OutputTokens
		return u
	}
	u.OutputTokens = replyOutputTokens(&s.tokens, x.API == pipeline.APIMessages, body, servedBy(x).upstream)
	return u
}

// finish settles the limits, prices the usage, charges budgets, records
// the usage and, while a response phase is still running, publishes it.
func (s *Stage) finish(ctx context.Context, x *pipeline.Exchange, u translate.Usage, estimated bool) {
	a := x.Admission
	a.Settled = true
	end := endContext{parent: ctx}
	defer end.done()
	if a.Ticket != limits.NoTicket {
		var err error
		if estimated && u.InputTokens == a.Estimate.InputTokens && u.OutputTokens == a.Estimate.OutputTokens {
			err = a.Ticket.Release(end.get(a.LocalTicket))
		} else {
			err = a.Ticket.Settle(end.get(a.LocalTicket), u.InputTokens, u.OutputTokens)
		}
		if err != nil {
			s.log.Warn("settling rate limits", "request_id", x.RequestID, "err", err)
		}
	}
	t := servedBy(x)
	cost, priced := s.prices.cost(x.Config.Prices, t.upstream, t.provider, u)
	if !priced && u != (translate.Usage{}) {
		s.log.Debug("no price for model; usage recorded without cost", "model", t.upstream, "provider", t.provider)
	}
	s.charge(&end, x, cost)
	x.Outcome.CostMicros, x.Outcome.Priced = cost, priced
	x.Outcome.Usage, x.Outcome.Settled = u, true
	rec := budget.UsageRecord{
		Time: time.Now(), Model: t.model, Backend: t.backend, Tokens: u, CostMicros: cost,
		Latency: time.Since(x.Start), Status: x.Status,
	}
	if x.Prompt.Template != "" {
		rec.Template = x.Prompt.Template + "@" + x.Prompt.Version
	}
	if id := x.Identity; id != nil {
		rec.Tenant, rec.Team, rec.User = id.Tenant, id.Team, id.User
		if id.Key != nil {
			rec.Key = id.Key.ID
		}
	}
	if x.Config.Server.AdminToken != "" {
		// Only /admin/usage reads the records, and it needs the token.
		s.usage.Add(rec)
		if s.shared != nil {
			if rdb, _ := s.state.Shared(); rdb != nil {
				s.shared.Add(rec)
			}
		}
	}
	publish(&x.Out, &rec, priced)
}

func (s *Stage) charge(end *endContext, x *pipeline.Exchange, micros int64) {
	if micros <= 0 || s.state.Budgets() == nil {
		return // no budgets configured: nothing to charge
	}
	var scopes [admit.MaxBudgetScopes]budget.Scope
	if err := s.state.ChargeBudgets(end.get(s.state.InMemory()), admit.BudgetScopes(scopes[:0], x.Identity), micros); err != nil {
		if s.state.FailOpen() {
			s.state.NoteFailOpen(err)
		}
		s.log.Error("charging budgets; this request's cost is not counted", "request_id", x.RequestID,
			"cost_micros", micros, "err", err)
	}
}

// endContext bounds settling the limits and charging the budgets, which
// may outlive the stream. Its contexts are made only when one of them has
// work to do: with neither limits nor budgets configured, there is none.
type endContext struct {
	parent context.Context
	free   context.Context // no deadline
	timed  context.Context // bounded by admit.EndTimeout
	cancel context.CancelFunc
}

// get is the context for one operation: with no deadline (and no timer)
// when its state is in process memory (local), which never blocks, and
// bounded otherwise.
func (e *endContext) get(local bool) context.Context {
	if local {
		if e.free == nil {
			e.free = context.WithoutCancel(e.parent)
		}
		return e.free
	}
	if e.timed == nil {
		e.timed, e.cancel = context.WithTimeout(context.WithoutCancel(e.parent), admit.EndTimeout)
	}
	return e.timed
}

func (e *endContext) done() {
	if e.cancel != nil {
		e.cancel()
	}
}

// publish sets the usage as dynamic metadata. Values are strings, which
// Envoy's rate limit hits_addend and access log formatters both read.
func publish(out *pipeline.Mutation, r *budget.UsageRecord, priced bool) {
	u := r.Tokens
	// The numbers share one buffer: one allocation instead of one each.
	var n numbers
	n.buf = make([]byte, 0, 4*20)
	out.SetMetadata(MetaInputTokens, n.format(u.InputTokens))
	out.SetMetadata(MetaOutputTokens, n.format(u.OutputTokens))
	out.SetMetadata(MetaTotalTokens, n.format(u.InputTokens+u.OutputTokens))
	if priced {
		out.SetMetadata(MetaCostMicros, n.format(r.CostMicros))
	}
	if r.Tenant != "" {
		out.SetMetadata(MetaTenant, r.Tenant)
	}
	out.SetMetadata(MetaModel, r.Model)
	out.SetMetadata(MetaBackend, r.Backend)
}

// numbers formats integers into one buffer. The strings it returns alias
// the buffer, which is only ever appended to.
type numbers struct{ buf []byte }

func (n *numbers) format(v int64) string {
	start := len(n.buf)
	n.buf = strconv.AppendInt(n.buf, v, 10)
	s := n.buf[start:]
	return unsafe.String(unsafe.SliceData(s), len(s)) //nolint:gosec // the bytes are never written again
}

// served is who answered a call.
type served struct {
	model    string // public name
	backend  string
	provider translate.Provider
	upstream string // the provider's model name, what prices are keyed on
}

// servedBy is the route's target or, for a fallback chain, the member
// whose response this is.
func servedBy(x *pipeline.Exchange) served {
	s := served{backend: x.Target.Backend, provider: x.Target.Provider, upstream: x.Target.Model}
	if x.Route != nil {
		s.model = x.Route.Name
	}
	b := x.RespHeader.Get(route.ServedByHeader)
	if x.Chain == "" || b == "" || b == s.backend {
		return s
	}
	for _, t := range x.Plan.Fallback {
		m, ok := x.Config.Model(t.Model)
		if !ok || (t.Backend != "" && t.Backend != b) || (t.Backend == "" && m.Backend.Name != b) {
			continue
		}
		if be, ok := x.Config.Backends[b]; ok {
			return served{model: m.Name, backend: b, provider: be.Provider, upstream: m.UpstreamModel}
		}
	}
	return s
}

func success(status int) bool { return status >= 200 && status < 300 }
