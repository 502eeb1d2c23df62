// Package guard is the response stage that checks what a model answers
// before the client sees it, and gives the client back what the request
// stage pseudonymized.
//
// It runs after the route stage, on the client's format: OpenAI chat
// completions (JSON or chunk SSE) or Anthropic messages (JSON or event
// SSE). Checks are banned phrases and bounded patterns, PII and secrets,
// the request's canary, conformance to a requested JSON schema, and an
// external moderation service. Placeholders such as <EMAIL_ADDRESS_1> are
// replaced by the client's values after the checks, so a restored value
// is never flagged as output PII and never reaches the moderation service.
//
// Streams are checked as they flow. Each text (a choice's content, a tool
// call's arguments, a content block) keeps the provider text it has not
// released; only the suffix that more text could still turn into a match
// or a placeholder is held back, and matches are masked before anything is
// released. A block ends the stream with finish_reason content_filter (an
// Anthropic stop_reason refusal), an error event and the stream's
// terminator; what the provider sends after that is dropped. See README.md.
package guard

import (
	"context"
	"log/slog"
	"sync"

	"github.com/sluice-gw/sluice/pkg/config"
	"github.com/sluice-gw/sluice/pkg/pipeline"
	"github.com/sluice-gw/sluice/pkg/translate"
)

// Stage is the guard stage.
type Stage struct {
	log   *slog.Logger
	rules compiled
	// live holds the state of every exchange whose answer is being
	// guarded; most exchanges never enter it.
	live sync.Map // *pipeline.Exchange → *exchange
}

// New returns the guard stage.
func New(log *slog.Logger) *Stage { return &Stage{log: log} }

// Name implements pipeline.ResponseStage.
func (*Stage) Name() string { return "guard" }

// Reload compiles snap's guardrails, so a config whose guardrails cannot
// be built is refused before it serves.
func (s *Stage) Reload(_ context.Context, snap *config.Snapshot) error {
	_, err := s.rules.get(snap)
	return err
}

// OnResponseHeaders implements pipeline.ResponseStage. It decides whether
// the answer needs guarding at all; when it does not, the body passes
// through untouched.
func (s *Stage) OnResponseHeaders(_ context.Context, x *pipeline.Exchange) error {
	if x.Translator == nil || x.Status < 200 || x.Status > 299 || x.Request.Op != translate.Chat {
		return nil
	}
	if (x.Config == nil || x.Config.Guardrails == nil) && len(x.Protect.Pseudonyms) == 0 && x.Protect.Canary == "" {
		return nil
	}
	r, err := s.rules.get(x.Config)
	if err != nil {
		return err
	}
	e := newExchange(s, r, x)
	if e == nil {
		return nil
	}
	s.live.Store(x, e)
	x.AtEnd(func(context.Context) { s.live.Delete(x) })
	return nil
}

// OnResponseBody implements pipeline.ResponseStage. An unguarded answer's
// chunk is returned as it came, the very same slice.
func (s *Stage) OnResponseBody(ctx context.Context, x *pipeline.Exchange, chunk []byte, end bool) ([]byte, error) {
	v, ok := s.live.Load(x)
	if !ok {
		return chunk, nil
	}
	e := v.(*exchange) //nolint:errcheck,forcetypeassert // only *exchange is stored
	if x.Streaming {
		return e.stream(ctx, chunk, end), nil
	}
	if !end {
		return chunk, nil // a buffered body arrives whole, with end set
	}
	return e.body(ctx, chunk), nil
}
