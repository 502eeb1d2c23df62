package server

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/sluice-gw/sluice/pkg/account"
	"github.com/sluice-gw/sluice/pkg/admit"
	"github.com/sluice-gw/sluice/pkg/authn"
	"github.com/sluice-gw/sluice/pkg/config"
	"github.com/sluice-gw/sluice/pkg/decide"
	"github.com/sluice-gw/sluice/pkg/extproc"
	"github.com/sluice-gw/sluice/pkg/inbound"
	"github.com/sluice-gw/sluice/pkg/pipeline"
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
	usage     *usagestore.Store // usage records in the shared Redis, when there is one
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
	s.account = account.New(s.limits, account.NewLog(account.DefaultLogSize), log)
	s.usage = usagestore.New(s.limits.Shared, usagestore.Options{}, log)
	s.account.Share(s.usage)
	rt := route.New(ts)
	adm := admit.New(s.limits, &admit.Tokenizer{}, log)
	main, err := pipeline.New(pipeline.Stages{
		Headers: []pipeline.HeaderStage{
			inbound.Identify{}, // API from :path
			s.authn,            // who is calling; bad credentials end here
		},
		Request: []pipeline.RequestStage{
			inbound.Parse{},            // the one read of the body
			admit.NewBudgets(s.limits), // what the caller's budgets have left, for the policy
			s.decide,                   // one policy evaluation: allow, deny, route
			inbound.Models{},           // GET /v1/models, filtered by policy
			adm,                        // budgets and rate limits; 429 here
			rt,                         // translate, set x-sluice-backend and credentials
		},
		Response: []pipeline.ResponseStage{
			rt,        // provider format back to the client's format
			s.account, // settle limits, cost, budgets, usage metadata
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
	return errors.Join(s.authn.Reload(ctx, snap), s.decide.Reload(ctx, snap), s.limits.Reload(ctx, snap))
}

// Close releases the policy engine and watchers, delivers queued budget
// notifications and closes the Redis connections.
func (s *Stages) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// Usage records go to Redis before its connections close.
	return errors.Join(s.decide.Close(), s.usage.Close(ctx), s.limits.Close(ctx))
}
