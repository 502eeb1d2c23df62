package server

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/sluice-gw/sluice/pkg/account"
	"github.com/sluice-gw/sluice/pkg/admit"
	"github.com/sluice-gw/sluice/pkg/audit"
	"github.com/sluice-gw/sluice/pkg/authn"
	"github.com/sluice-gw/sluice/pkg/budget"
	"github.com/sluice-gw/sluice/pkg/cache"
	"github.com/sluice-gw/sluice/pkg/config"
	"github.com/sluice-gw/sluice/pkg/decide"
	"github.com/sluice-gw/sluice/pkg/extproc"
	"github.com/sluice-gw/sluice/pkg/guard"
	"github.com/sluice-gw/sluice/pkg/inbound"
	"github.com/sluice-gw/sluice/pkg/pipeline"
	"github.com/sluice-gw/sluice/pkg/prompt"
	"github.com/sluice-gw/sluice/pkg/protect"
	"github.com/sluice-gw/sluice/pkg/route"
	"github.com/sluice-gw/sluice/pkg/translate"
	"github.com/sluice-gw/sluice/pkg/translate/anthropic"
	"github.com/sluice-gw/sluice/pkg/translate/bedrock"
	"github.com/sluice-gw/sluice/pkg/translate/gemini"
	"github.com/sluice-gw/sluice/pkg/translate/openai"
	"github.com/sluice-gw/sluice/pkg/usagestore"
)

// Translators registers every provider translator Sluice ships.
func Translators() (route.Translators, error) {
	ts := route.Translators{}
	for _, r := range []struct {
		p translate.Provider
		t translate.Translator
	}{
		{translate.OpenAI, openai.New(translate.OpenAI)},
		{translate.AzureOpenAI, openai.New(translate.AzureOpenAI)},
		{translate.OpenAICompatible, openai.New(translate.OpenAICompatible)},
		{translate.Anthropic, anthropic.New()},
		{translate.Gemini, gemini.New()},
		{translate.Bedrock, bedrock.New()},
	} {
		if err := ts.Register(r.p, r.t); err != nil {
			return nil, err
		}
	}
	return ts, nil
}

// Stages is Sluice's stage set: the pipelines the ext_proc server runs,
// and the stages that must follow config reloads.
type Stages struct {
	Pipelines extproc.Pipelines
	authn     *authn.Stage
	decide    *decide.Stage
	limits    *admit.State // limiter, budgets and their stores
	account   *account.Stage
	protect   *protect.State    // PII detectors and injection scoring; built per config
	guard     *guard.Stage      // output guardrails; compiled per config
	audit     *audit.Stage      // one record per request, written after the response settles
	usage     *usagestore.Store // usage records in the shared Redis, when there is one
	prompt    *prompt.Stage     // templates and decorators; follows config and the template directory
	cache     *cache.Stage      // exact and semantic response cache; built per config
}

// sharesState reports whether the config has replicas share a Redis.
func (s *Stages) sharesState() bool {
	rdb, _ := s.limits.Shared()
	return rdb != nil
}

// NewStages builds Sluice's stage chains. This is the one place the stage
// order is written down; configuration can switch stages' behaviour but
// never reorder them.
func NewStages(log *slog.Logger) (*Stages, error) {
	ts, err := Translators()
	if err != nil {
		return nil, err
	}
	s := &Stages{authn: authn.New(log), decide: decide.New(log), limits: admit.NewState(log)}
	s.audit = audit.NewStage(log)
	s.account = account.New(s.limits, account.NewLog(account.DefaultLogSize), log)
	s.guard = guard.New(log)
	s.protect = protect.NewState(log)
	s.prompt = prompt.New(log)
	inspect, redact := s.protect.Stages()
	s.usage = usagestore.New(s.limits.Shared, usagestore.Options{}, log)
	s.account.Share(s.usage)
	s.cache = cache.New(log, cache.Options{Shared: s.limits.Shared, Record: s.recordHit,
		Semantic: cache.SemanticIndex(s.limits.Shared, log)})
	rt := route.New(ts)
	tok := &admit.Tokenizer{}
	s.decide.CountTokensWith(tok.ForPolicy) // counted once, for the policy and for admission
	adm := admit.New(s.limits, tok, log)
	main, err := pipeline.New(pipeline.Stages{
		Headers: []pipeline.HeaderStage{
			// First, so its AtEnd runs last: the record sees what every
			// other stage settled, however the request ended.
			s.audit,
			inbound.Identify{}, // API from :path
			s.authn,            // who is calling; bad credentials end here
		},
		Request: []pipeline.RequestStage{
			inbound.Parse{},            // the one read of the body
			s.prompt,                   // render a template; everything after sees the rendered request
			inspect,                    // PII, secrets, injection score: findings for the policy
			admit.NewBudgets(s.limits), // what the caller's budgets have left, for the policy
			s.decide,                   // one policy evaluation: allow, deny, route
			redact,                     // the findings' actions, as configured or overridden; 400 on block
			inbound.Models{},           // GET /v1/models, filtered by policy
			s.prompt.Decorate(),        // the policy's system-prompt decorators, before tokens are estimated
			adm,                        // budgets and rate limits; 429 here
			s.cache,                    // a stored answer for this exact request: answer locally and stop
			rt,                         // translate, set x-sluice-backend and credentials
		},
		Response: []pipeline.ResponseStage{
			rt,               // provider format back to the client's format
			s.cache,          // keep what the provider said, before pseudonyms are restored
			s.guard,          // output guardrails, PII restore, stream hold-back
			s.cache.Commit(), // store the kept answer if it ended complete and unguarded
			s.prompt,         // a template answer's parsed JSON "output"
			s.account,        // settle limits, cost, budgets, usage metadata
		},
	})
	if err != nil {
		return nil, err
	}
	// One fallback attempt: the request arrives already authenticated and
	// decided by the main chain; only translation for this attempt's
	// provider is left.
	at := route.NewAttempt(rt)
	attempt, err := pipeline.New(pipeline.Stages{
		Headers:  []pipeline.HeaderStage{inbound.Identify{}},
		Request:  []pipeline.RequestStage{inbound.Parse{}, at},
		Response: []pipeline.ResponseStage{at},
	})
	if err != nil {
		return nil, err
	}
	s.Pipelines = extproc.Pipelines{Main: main, Attempt: attempt}
	return s, nil
}

// Reload brings every config-dependent stage to snap. The server swaps a
// new config in only when this succeeds, so a policy that fails to compile
// keeps the last good config serving.
func (s *Stages) Reload(ctx context.Context, snap *config.Snapshot) error {
	return errors.Join(s.authn.Reload(ctx, snap), s.decide.Reload(ctx, snap), s.limits.Reload(ctx, snap),
		s.audit.Reload(ctx, snap), s.guard.Reload(ctx, snap), s.protect.Reload(ctx, snap), s.cache.Reload(ctx, snap),
		s.prompt.Reload(ctx, snap))
}

// Close releases the policy engine and watchers, delivers queued budget
// notifications and closes the Redis connections.
func (s *Stages) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// Usage records go to Redis before its connections close.
	return errors.Join(s.decide.Close(), s.cache.Close(), s.prompt.Close(), s.usage.Close(ctx), s.limits.Close(ctx),
		s.audit.Close()) // the audit trail last: the drain is over, every record is queued
}

// recordHit records a cache hit's usage where the account stage records a
// provider call's.
func (s *Stages) recordHit(x *pipeline.Exchange, rec budget.UsageRecord) {
	if x.Config.Server.AdminToken == "" {
		return // only /admin/usage reads the records, and it needs the token
	}
	s.account.Usage().Add(rec)
	if s.sharesState() {
		s.usage.Add(rec)
	}
}
