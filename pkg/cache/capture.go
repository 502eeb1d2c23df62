package cache

import (
	"context"
	"errors"
	"time"

	"github.com/sluice-gw/sluice/pkg/pipeline"
	"github.com/sluice-gw/sluice/pkg/route"
)

// capture collects a missed request's answer as the route stage hands it
// on, before the guard stage restores anything.
type capture struct {
	plan
	asm  *assembler // streamed answers
	body []byte     // buffered answers
	err  error      // why the answer will not be stored
	// body0 is the request body the key was computed from.
	body0 []byte
	done  bool // stored, or given up on
}

var (
	errStatus   = errors.New("answer is not a success")
	errGuarded  = errors.New("output guardrails changed or blocked the answer")
	errFailed   = errors.New("the exchange ended with an error")
	errFallback = errors.New("answer came from a fallback backend")
)

func (s *Stage) capture(x *pipeline.Exchange) *capture {
	v, ok := s.live.Load(x)
	if !ok {
		return nil
	}
	return v.(*capture)
}

// OnResponseHeaders implements pipeline.ResponseStage.
func (s *Stage) OnResponseHeaders(_ context.Context, x *pipeline.Exchange) error {
	c := s.capture(x)
	switch {
	case c == nil:
	case x.Status < 200 || x.Status > 299:
		c.err = errStatus
	case x.Chain != "" && x.RespHeader.Get(route.ServedByHeader) != "" && x.RespHeader.Get(route.ServedByHeader) != c.scope.Backend:
		c.err = errFallback
	case x.Streaming:
		c.asm = newAssembler(c.st.cfg.MaxEntryBytes)
	}
	return nil
}

// OnResponseBody implements pipeline.ResponseStage. The chunk passes on
// untouched.
func (s *Stage) OnResponseBody(_ context.Context, x *pipeline.Exchange, chunk []byte, _ bool) ([]byte, error) {
	c := s.capture(x)
	if c == nil || c.err != nil {
		return chunk, nil
	}
	if c.asm != nil {
		c.asm.feed(chunk)
		return chunk, nil
	}
	if int64(len(c.body)+len(chunk)) > c.st.cfg.MaxEntryBytes {
		c.err, c.body = errTooLarge, nil
		return chunk, nil
	}
	c.body = append(c.body, chunk...)
	return chunk, nil
}

// Commit is the response stage that stores a captured answer when its
// last bytes have passed the guard stage, before they are released: the
// next identical request, on any replica, finds it.
func (s *Stage) Commit() pipeline.ResponseStage { return commit{s} }

type commit struct{ s *Stage }

// Name implements pipeline.ResponseStage.
func (commit) Name() string { return "cache-commit" }

// OnResponseHeaders implements pipeline.ResponseStage.
func (commit) OnResponseHeaders(context.Context, *pipeline.Exchange) error { return nil }

// OnResponseBody implements pipeline.ResponseStage: at the end of the
// answer, it is stored when it may be.
func (c commit) OnResponseBody(ctx context.Context, x *pipeline.Exchange, chunk []byte, end bool) ([]byte, error) {
	if !end {
		return chunk, nil
	}
	if cp := c.s.capture(x); cp != nil && !cp.done {
		cp.done = true
		c.s.finish(ctx, x, cp)
	}
	return chunk, nil
}

// finish stores the answer once the guard stage has finished with it:
// only a complete success that no guardrail changed is stored.
func (s *Stage) finish(ctx context.Context, x *pipeline.Exchange, c *capture) {
	body, err := s.entryBody(x, c)
	if err != nil {
		s.stats.NotStored.Add(1)
		s.log.Debug("answer not cached", "request_id", x.RequestID, "reason", err)
		return
	}
	e := &Entry{Body: body, Usage: x.Usage, Stored: time.Now()}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.st.cfg.Timeout)
	defer cancel()
	switch err := c.st.store.Set(ctx, c.key.Exact, e, c.ttl); {
	case errors.Is(err, errTooLarge):
		s.stats.NotStored.Add(1)
		return
	case err != nil:
		s.stats.Errors.Add(1)
		s.log.Warn("storing a cached answer", "request_id", x.RequestID, "err", err)
		return
	}
	s.stats.Stored.Add(1)
	s.index(x, c)
}

func (s *Stage) entryBody(x *pipeline.Exchange, c *capture) ([]byte, error) {
	switch {
	case c.err != nil:
		return nil, c.err
	case x.Status < 200 || x.Status > 299 || x.Outcome.Status < 200 || x.Outcome.Status > 299:
		return nil, errStatus
	case x.Outcome.Error != "":
		return nil, errFailed
	case guarded(x.Protect.Output):
		return nil, errGuarded
	case c.asm != nil:
		return c.asm.completion(x.Usage)
	}
	if len(c.body) == 0 {
		return nil, errIncomplete
	}
	return c.body, storable(c.body)
}

// guarded reports whether an output guardrail did more than note a
// finding: a masked or blocked answer must not be served again as stored.
func guarded(out []pipeline.FindingCount) bool {
	for _, f := range out {
		if f.Count > 0 && f.Action != "log" && f.Action != "allow" {
			return true
		}
	}
	return false
}

// index adds a stored answer to the semantic index. Adding may embed the
// text, a call to another service: it runs on its own, so the answer's
// last bytes never wait for it.
func (s *Stage) index(x *pipeline.Exchange, c *capture) {
	if c.st.sem == nil || c.threshold <= 0 {
		return
	}
	if !c.semOK {
		// Computed here when the lookup was skipped (Cache-Control:
		// no-cache).
		c.semScope, c.semText, c.semOK = SemanticScope(c.scope, c.body0, c.key)
		if !c.semOK {
			return
		}
	}
	ix, timeout, id := c.st.sem, c.st.cfg.Semantic.Timeout, x.RequestID
	scope, text, key := c.semScope, c.semText, c.key.Exact
	s.adds.Go(func() {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		if err := ix.Add(ctx, scope, text, key); err != nil {
			s.stats.SemanticErrors.Add(1)
			s.log.Warn("adding an answer to the semantic cache", "request_id", id, "err", err)
		}
	})
}
