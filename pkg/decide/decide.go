// Package decide is the stage that asks OPA: one evaluation per request,
// over the caller's identity, the request summary and earlier findings. Its
// decision allows or denies, and says where the request goes.
package decide

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"reflect"
	"sync"
	"sync/atomic"

	"github.com/sluice-gw/sluice/pkg/config"
	"github.com/sluice-gw/sluice/pkg/gwerror"
	"github.com/sluice-gw/sluice/pkg/pipeline"
	"github.com/sluice-gw/sluice/pkg/policy"
	"github.com/sluice-gw/sluice/pkg/telemetry"
)

// DecisionHeader carries the decision id to the client.
const DecisionHeader = "x-sluice-decision-id"

// Stage evaluates the policy.
type Stage struct {
	log *slog.Logger

	mu     sync.Mutex // serialises Reload
	engine atomic.Pointer[policy.Engine]
	opts   *config.Policy // what the current engine was built from
	// reloaded is told of every policy reload the engine does on its own
	// (directory changes, bundle downloads).
	reloaded atomic.Pointer[func(error)]
	// tokens counts a request's input tokens for
	// input.request.input_tokens_estimate.
	tokens func(*pipeline.Exchange) int64
}

// CountTokensWith sets how the stage counts a request's input tokens for a
// policy that reads input.request.input_tokens_estimate; only such a
// policy has them counted. Call it before the stage serves.
func (s *Stage) CountTokensWith(fn func(*pipeline.Exchange) int64) { s.tokens = fn }

// OnPolicyReload sets fn to be told of each policy reload and its error.
func (s *Stage) OnPolicyReload(fn func(error)) { s.reloaded.Store(&fn) }

// New returns a stage with no policy until Reload loads one.
func New(log *slog.Logger) *Stage { return &Stage{log: log} }

// Name implements pipeline.RequestStage.
func (*Stage) Name() string { return "decide" }

// Reload applies a new config: a new engine when the policy source
// changed, otherwise fresh catalogue data for the running one. An error
// keeps the previous engine serving.
func (s *Stage) Reload(ctx context.Context, snap *config.Snapshot) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if snap.Policy == nil {
		if old := s.engine.Swap(nil); old != nil {
			_ = old.Close()
		}
		s.opts = nil
		s.log.Warn("no policy configured: every authenticated caller may use every model")
		return nil
	}
	cat := catalogue(snap)
	if e := s.engine.Load(); e != nil && sameSource(s.opts, snap.Policy) {
		if err := e.SetCatalogue(cat); err != nil {
			return fmt.Errorf("policy catalogue: %w", err)
		}
		if err := e.SetData(snap.Policy.Data); err != nil {
			return fmt.Errorf("policy data: %w", err)
		}
		s.opts = snap.Policy
		return nil
	}
	e, err := policy.New(ctx, s.options(snap.Policy, cat))
	if err != nil {
		return fmt.Errorf("policy: %w", err)
	}
	if old := s.engine.Swap(e); old != nil {
		_ = old.Close()
	}
	s.opts = snap.Policy
	return nil
}

// Close stops the engine's watchers and flushes its decision log.
func (s *Stage) Close() error {
	if e := s.engine.Swap(nil); e != nil {
		return e.Close()
	}
	return nil
}

// sameSource reports whether two policy configs load the same policy, so
// only data needs refreshing.
func sameSource(a, b *config.Policy) bool {
	if a == nil || b == nil {
		return false
	}
	return a.Dir == b.Dir && a.Query == b.Query && a.Mode == b.Mode && a.FailureMode == b.FailureMode &&
		reflect.DeepEqual(a.Bundle, b.Bundle) && a.DecisionLog == b.DecisionLog && a.Evaluator == b.Evaluator &&
		a.DecisionMemoSize == b.DecisionMemoSize
}

func (s *Stage) options(p *config.Policy, cat policy.Catalogue) policy.Options {
	o := policy.Options{
		Dir: p.Dir, Query: p.Query, FailOpen: p.FailureMode == config.FailOpen,
		Interpreter: p.Evaluator == config.EvaluatorInterpreter,
		MemoSize:    p.DecisionMemoSize,
		Data:        p.Data, Catalogue: cat, Logger: s.log,
		OnReload: func(err error) {
			if fn := s.reloaded.Load(); fn != nil {
				(*fn)(err)
			}
			if err != nil {
				s.log.Error("policy reload rejected; keeping the last good policy", "err", err)
			} else {
				s.log.Info("policy reloaded")
			}
		},
	}
	if p.Mode == config.PolicyDryRun {
		o.Mode = policy.DryRun
	}
	if b := p.Bundle; b != nil {
		o.Dir = ""
		o.Bundle = &policy.BundleOptions{URL: b.URL, MinDelay: b.MinDelay, MaxDelay: b.MaxDelay}
		if b.BearerTokenEnv != "" {
			o.Bundle.BearerToken = os.Getenv(b.BearerTokenEnv)
		}
	}
	if p.DecisionLog.Enabled {
		o.DecisionLog = os.Stdout
		if p.DecisionLog.Path != "" {
			f, err := os.OpenFile(p.DecisionLog.Path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
			if err != nil {
				s.log.Error("decision log file; logging to stdout instead", "path", p.DecisionLog.Path, "err", err)
			} else {
				o.DecisionLog = f
			}
		}
	}
	return o
}

// StackBytes is what an evaluation needs while a policy is loaded, so the
// stream can reserve it before the pipeline's frames pile up
// (pipeline.DeepStage).
func (s *Stage) StackBytes() int {
	if s.engine.Load() == nil {
		return 0
	}
	return policy.StackBytes
}

// OnRequest implements pipeline.RequestStage.
func (s *Stage) OnRequest(ctx context.Context, x *pipeline.Exchange) error {
	e := s.engine.Load()
	if e == nil {
		return nil // no policy configured; authn still ran
	}
	if x.API != pipeline.APIModels {
		// An unknown model is the same 404 with or without a policy; the
		// policy only decides about models that exist.
		if _, ok := x.Config.Model(x.Model); !ok {
			return gwerror.UnknownModel(x.Model)
		}
	}
	in := input(x)
	if s.tokens != nil && e.ReadsTokenEstimate() {
		in.Request.InputTokensEstimate = int(s.tokens(x))
	}
	ctx, span := telemetry.StartPolicy(ctx)
	d, err := e.Evaluate(ctx, in)
	span.End(d, err)
	x.Decision = d
	if d == nil {
		return gwerror.Wrap(gwerror.PolicyError, err, "policy could not be evaluated")
	}
	// Every answer carries the decision id: provider responses, local
	// replies, denials and errors alike.
	x.ClientHeaders = append(x.ClientHeaders, pipeline.Header{Key: DecisionHeader, Value: d.DecisionID})
	for k, v := range d.Headers.Downstream {
		x.ClientHeaders = append(x.ClientHeaders, pipeline.Header{Key: k, Value: v})
	}
	if !d.Allow {
		return denial(d, err)
	}
	if err != nil && !d.FailedOpen {
		s.log.Warn("policy", "decision_id", d.DecisionID, "err", err)
	}
	if x.API == pipeline.APIModels {
		x.ModelAllowlist = append([]string{}, d.Models...)
	}
	x.Plan = plan(x, d)
	for k, v := range d.Headers.Upstream {
		x.Out.Set(k, v)
	}
	return nil
}

func denial(d *policy.Decision, err error) error {
	code := gwerror.PolicyDenied
	if d.Status == 503 || errors.Is(err, policy.ErrPolicy) {
		code = gwerror.PolicyError
	}
	reason := d.Reason
	if reason == "" {
		reason = "request denied by policy"
	}
	if err != nil {
		return gwerror.Wrap(code, err, "%s", reason).WithStatus(d.Status)
	}
	return &gwerror.Error{Code: code, Status: d.Status, Message: reason}
}
