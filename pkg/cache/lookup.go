package cache

import (
	"context"
	"time"

	"github.com/sluice-gw/sluice/pkg/admit"
	"github.com/sluice-gw/sluice/pkg/budget"
	"github.com/sluice-gw/sluice/pkg/gwerror"
	"github.com/sluice-gw/sluice/pkg/pipeline"
	"github.com/sluice-gw/sluice/pkg/translate"
)

// plan is what the request stage decided for a cacheable request.
type plan struct {
	st        *state
	scope     Scope
	key       Key
	ttl       time.Duration
	threshold float32
	// The semantic index's view of the request, once computed.
	semScope, semText string
	semOK             bool
}

// OnRequest implements pipeline.RequestStage: on a hit it answers the
// request locally and the route stage never runs.
func (s *Stage) OnRequest(ctx context.Context, x *pipeline.Exchange) error {
	p, ok := s.plan(x)
	if !ok {
		return nil
	}
	cc := cacheControl(x.Header.Get("cache-control"))
	if !cc.noCache && !cc.noStore {
		e, err := s.lookup(ctx, x, &p)
		if err != nil {
			return err
		}
		if e != nil {
			s.serve(ctx, x, p, e)
			return nil
		}
	}
	s.stats.Misses.Add(1)
	x.Outcome.Cache = Miss
	x.ClientHeaders = append(x.ClientHeaders, pipeline.Header{Key: Header, Value: Miss})
	if !cc.noStore {
		c := &capture{plan: p, body0: x.Request.Body}
		s.live.Store(x, c)
		x.AtEnd(func(context.Context) {
			s.live.Delete(x)
			if !c.done {
				// The answer never ended: an error, or the client gone.
				s.stats.NotStored.Add(1)
			}
		})
	}
	return nil
}

// plan decides whether a request is cacheable and computes its key.
func (s *Stage) plan(x *pipeline.Exchange) (plan, bool) {
	st := s.cur.Load()
	if st.cfg == nil || x.Config == nil || x.Config.Cache == nil || x.API != pipeline.APIChat ||
		x.Request.Op != translate.Chat || len(x.Request.Body) == 0 || x.Prompt.Template != "" {
		// Template calls are left out: their answer is reshaped after
		// this stage's response side (the parsed "output").
		return plan{}, false
	}
	served := admit.ServedBy(x)
	on, ttl, nondeterministic, threshold := st.cfg.ForModel(served.Model)
	if !on {
		return plan{}, false
	}
	if t, ok := x.Summary.Parameters["temperature"].(float64); !nondeterministic && (!ok || t != 0) {
		// Sampled answers differ call to call; serving one stored answer
		// to every caller is only right when the config says so. The
		// parse stage's summary answers this before any key is computed.
		return plan{}, false
	}
	p := plan{st: st, ttl: ttl, threshold: threshold, scope: Scope{Model: served.Model, Backend: served.Backend, Upstream: served.Upstream}}
	if x.Identity != nil {
		p.scope.Tenant = x.Identity.Tenant
	}
	p.key = ComputeKey(p.scope, x.Request.Body)
	if !nondeterministic && (!p.key.TemperatureSet || p.key.Temperature != 0) {
		return plan{}, false // the body the key read disagrees with the summary
	}
	return p, true
}

// lookup finds the stored answer: by exact key, then, when the model has
// a semantic threshold, by meaning. A store that cannot be reached is a
// miss.
func (s *Stage) lookup(ctx context.Context, x *pipeline.Exchange, p *plan) (*Entry, error) {
	e := s.get(ctx, x, p, p.key.Exact)
	if e != nil || p.st.sem == nil || p.threshold <= 0 {
		return e, nil
	}
	p.semScope, p.semText, p.semOK = SemanticScope(p.scope, x.Request.Body, p.key)
	if !p.semOK {
		return nil, nil
	}
	sc := p.st.cfg.Semantic
	sctx, cancel := context.WithTimeout(ctx, sc.Timeout)
	defer cancel()
	key, _, found, err := p.st.sem.Lookup(sctx, p.semScope, p.semText, p.threshold)
	switch {
	case err != nil && !sc.FailOpen:
		return nil, gwerror.Wrap(gwerror.UpstreamUnavailable, err, "The semantic cache cannot be consulted right now; please try again shortly.")
	case err != nil:
		s.stats.SemanticErrors.Add(1)
		s.log.Warn("semantic cache lookup failed; treating it as a miss", "request_id", x.RequestID, "err", err)
		return nil, nil
	case !found:
		return nil, nil
	}
	if e = s.get(ctx, x, p, key); e != nil {
		s.stats.SemanticHits.Add(1)
	}
	return e, nil
}

func (s *Stage) get(ctx context.Context, x *pipeline.Exchange, p *plan, key string) *Entry {
	ctx, cancel := context.WithTimeout(ctx, p.st.cfg.Timeout)
	defer cancel()
	e, ok, err := p.st.store.Get(ctx, key)
	if err != nil {
		s.stats.Errors.Add(1)
		s.log.Warn("response cache lookup failed; treating it as a miss", "request_id", x.RequestID, "err", err)
		return nil
	}
	if !ok {
		return nil
	}
	return e
}

// serve answers from e: JSON, or an SSE replay for a streamed request,
// with this request's pseudonymized values restored. The admission is
// settled with no tokens (the request still counts against request
// rates), and the usage record costs nothing but says what was saved.
func (s *Stage) serve(ctx context.Context, x *pipeline.Exchange, p plan, e *Entry) {
	s.stats.Hits.Add(1)
	body := Restore(e.Body, x.Protect.Pseudonyms)
	r := &pipeline.Reply{Status: 200}
	if x.Request.Stream {
		body = Replay(body, e.Usage, x.Request.IncludeUsage)
		r.Headers = []pipeline.Header{{Key: "content-type", Value: "text/event-stream"}, {Key: "cache-control", Value: "no-cache"}}
	} else {
		r.Headers = []pipeline.Header{{Key: "content-type", Value: "application/json"}}
	}
	r.Headers = append(r.Headers, pipeline.Header{Key: Header, Value: Hit})
	r.Body = body
	x.Reply = r
	x.Outcome.Cache = Hit
	x.Outcome.Status = 200
	setRoute(x, p)
	if b, ok := x.Config.Backends[p.scope.Backend]; ok {
		if saved, priced := x.Config.Prices.Cost(p.scope.Upstream, b.Provider, e.Usage); priced {
			x.Outcome.SavedMicros = saved
		}
	}
	x.Outcome.Priced = true
	s.settle(ctx, x)
	if s.opts.Record != nil {
		rec := budget.UsageRecord{Time: time.Now(), Model: p.scope.Model, Backend: p.scope.Backend,
			Latency: time.Since(x.Start), Status: 200, CacheHit: true}
		if id := x.Identity; id != nil {
			rec.Tenant, rec.Team, rec.User = id.Tenant, id.Team, id.User
			if id.Key != nil {
				rec.Key = id.Key.ID
			}
		}
		s.opts.Record(x, rec)
	}
}

// setRoute names the model and backend a hit stands for, as the route
// stage would have, for audit and telemetry.
func setRoute(x *pipeline.Exchange, p plan) {
	m, ok := x.Config.Model(p.scope.Model)
	if !ok {
		return
	}
	x.Route = m
	x.Target = m.Target()
	if b, ok := x.Config.Backends[p.scope.Backend]; ok && b != m.Backend {
		x.Target = b.Target
		x.Target.Model, x.Target.Deployment = m.UpstreamModel, m.Deployment
	}
}

// settle ends the admission with zero tokens: a hit used no provider
// capacity, but it was a request.
func (s *Stage) settle(ctx context.Context, x *pipeline.Exchange) {
	a := x.Admission
	if a == nil || a.Settled {
		return
	}
	a.Settled = true
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), admit.EndTimeout)
	defer cancel()
	if err := a.Ticket.Settle(ctx, 0, 0); err != nil {
		s.log.Warn("settling rate limits of a cache hit", "request_id", x.RequestID, "err", err)
	}
}
