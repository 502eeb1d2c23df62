// Package policy asks OPA, once per request, whether the caller may make
// the call and where it should go. It compiles the Rego policy from a
// directory or an OPA bundle server, keeps Sluice's configuration in OPA's
// store under data.sluice, evaluates a prepared query against a typed
// Input, and checks the result against the decision contract in
// docs/policy-reference.md before anyone acts on it.
//
// A broken policy on reload never replaces a good one. Every evaluation
// has a decision id and, when configured, a line in the decision log.
package policy

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/sluice-gw/sluice/pkg/policyvm"
)

// Engine evaluates the policy. It is safe for concurrent use.
type Engine struct {
	opts Options
	path string // the query as a data path, for the decision log

	cur  atomic.Pointer[state]
	time atomic.Pointer[secondTime]

	reloading sync.Mutex // serialises reloads; taken before mu
	mu        sync.Mutex // serialises building states
	policy    *compiled  // the last good policy
	config    *config

	counters counters
	log      *decisionLog
	source   source
	stop     context.CancelFunc
	done     sync.WaitGroup
	closing  sync.Once
}

// source is where the policy comes from: a directory or a bundle server.
type source interface {
	// load returns the policy if it differs from current (nil otherwise).
	load(ctx context.Context, current *compiled) (*compiled, error)
	// run keeps the policy current until ctx ends, calling reload on change.
	run(ctx context.Context, reload func(context.Context) error)
	close()
}

// New loads and compiles the policy and starts watching for changes. ctx
// bounds the first load only; watching continues until Close. A policy
// that does not load, compile or prepare is an error.
func New(ctx context.Context, opts Options) (*Engine, error) {
	opts, path, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	cfg, err := newConfig(opts.Catalogue, opts.Data)
	if err != nil {
		return nil, err
	}
	e := &Engine{opts: opts, path: path, config: cfg}
	if opts.Dir != "" {
		e.source, err = newDirSource(opts.Dir, opts.Logger)
	} else {
		e.source = newBundleSource(opts.Bundle)
	}
	if err != nil {
		return nil, err
	}
	p, err := e.source.load(ctx, nil)
	if err == nil {
		err = e.activate(ctx, p)
	}
	if err != nil {
		e.source.close()
		return nil, fmt.Errorf("policy: %w", err)
	}
	if opts.DecisionLog != nil {
		e.log = newDecisionLog(opts.DecisionLog, opts.DecisionLogBuffer, path, newDecisionID(), &e.counters.logDrops, opts.Logger)
	}
	runCtx, stop := context.WithCancel(context.Background())
	e.stop = stop
	e.done.Add(1)
	go func() {
		defer e.done.Done()
		e.source.run(runCtx, e.Reload)
	}()
	return e, nil
}

// Close stops watching for policy changes and writes out the decision log.
// Evaluate keeps working with the last policy, without logging.
func (e *Engine) Close() error {
	e.closing.Do(func() {
		e.stop()
		e.done.Wait()
		e.source.close()
		if e.log != nil {
			e.log.close()
		}
	})
	return nil
}

// Revision identifies the policy in use: the bundle's revision, or a hash
// of the directory's policy and data files.
func (e *Engine) Revision() string { return e.cur.Load().policy.revision }

// ReadsTokenEstimate reports whether the policy in use may read
// input.request.input_tokens_estimate. Counting a prompt's tokens costs
// microseconds per kilobyte, so Sluice fills that member only when this
// is true, and leaves it 0 otherwise.
func (e *Engine) ReadsTokenEstimate() bool { return e.cur.Load().policy.readsTokens }

// Notices are the strings data.sluice.notices held after the last load.
func (e *Engine) Notices() []string { return e.cur.Load().notices }

// Reload reloads the policy now: it rereads the directory, or polls the
// bundle server. It returns nil when nothing changed. A policy that fails
// keeps the last good one in service; the error is returned, counted,
// logged and passed to Options.OnReload.
func (e *Engine) Reload(ctx context.Context) error {
	e.reloading.Lock()
	defer e.reloading.Unlock()
	p, err := e.source.load(ctx, e.currentPolicy())
	if err == nil && p != nil {
		err = e.activate(ctx, p)
	}
	if err != nil {
		err = fmt.Errorf("policy: %w", err)
		e.counters.reloadErrors.Add(1)
		e.opts.Logger.Error("policy: reload failed; keeping the last good policy",
			"revision", e.Revision(), "error", err)
	} else if p != nil {
		e.counters.reloads.Add(1)
		e.opts.Logger.Info("policy: reloaded", "revision", p.revision)
	}
	if e.opts.OnReload != nil && (err != nil || p != nil) {
		e.opts.OnReload(err)
	}
	return err
}

// SetCatalogue replaces data.sluice.tenants, models and backends, for
// example after a configuration reload. On error the old ones stay.
func (e *Engine) SetCatalogue(c Catalogue) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.swap(context.Background(), e.policy, e.config.withCatalogue(c)); err != nil {
		return fmt.Errorf("policy: %w", err)
	}
	return nil
}

// SetData replaces data.sluice.config. On error the old data stays.
func (e *Engine) SetData(data map[string]any) error {
	d, err := dataTerm(data)
	if err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	cfg := *e.config
	cfg.data = d
	if err := e.swap(context.Background(), e.policy, &cfg); err != nil {
		return fmt.Errorf("policy: %w", err)
	}
	return nil
}

// plan is the compiled plan to evaluate p with, or nil for the
// interpreter: when Options.Interpreter says so, or when the planner
// cannot take the policy, which is logged once per policy version.
func (e *Engine) plan(p *compiled) *policyvm.Program {
	if e.opts.Interpreter {
		return nil
	}
	first := false
	p.plans.once.Do(func() {
		first = true
		p.plans.prog, p.plans.err = policyvm.Plan(context.Background(), p.modules, e.path)
	})
	if p.plans.err != nil && first {
		e.opts.Logger.Warn("policy: evaluating with OPA's interpreter; the policy does not compile to a plan",
			"revision", p.revision, "error", p.plans.err)
	}
	return p.plans.prog
}

func (e *Engine) currentPolicy() *compiled {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.policy
}

func (e *Engine) activate(ctx context.Context, p *compiled) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.swap(ctx, p, e.config)
}

// swap builds a state and puts it in service. The caller holds e.mu.
func (e *Engine) swap(ctx context.Context, p *compiled, cfg *config) error {
	st, err := build(ctx, e.opts.Query, p, cfg, e.plan, e.opts.MemoSize)
	if err != nil {
		return fmt.Errorf("preparing %s: %w", e.opts.Query, err)
	}
	e.policy, e.config = p, cfg
	prev := e.cur.Swap(st)
	if prev != nil && prev.vm != nil {
		e.counters.addMemo(prev.vm.MemoStats())
	}
	// A configuration reload that changes nothing for the policy does not
	// repeat its notices.
	if prev != nil && prev.policy.revision == p.revision && slices.Equal(prev.notices, st.notices) &&
		(prev.noticesErr == nil) == (st.noticesErr == nil) {
		return nil
	}
	for _, n := range st.notices {
		e.opts.Logger.Warn("policy notice: "+n, "revision", p.revision)
	}
	if st.noticesErr != nil {
		e.opts.Logger.Error("policy: reading notices", "revision", p.revision, "error", st.noticesErr)
	}
	return nil
}
