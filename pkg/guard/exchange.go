package guard

import (
	"context"
	"errors"

	"github.com/sluice-gw/sluice/pkg/gwerror"
	"github.com/sluice-gw/sluice/pkg/moderation"
	"github.com/sluice-gw/sluice/pkg/pipeline"
	"github.com/sluice-gw/sluice/pkg/sse"
)

// ContentFilter is the error code (and OpenAI finish_reason) of an answer
// the guardrails stopped.
const ContentFilter gwerror.Code = "content_filter"

// The types counted when a whole-answer check fails.
const (
	KindJSONSchema = "json_schema"
	KindModeration = "moderation"
)

// maxKept bounds the text kept per answer for the checks that read it
// whole at its end (JSON schema, moderation at the end of a stream).
// Longer answers fail those checks, closed.
const maxKept = 4 << 20

// exchange is the guard's state for one answer.
type exchange struct {
	s  *Stage
	x  *pipeline.Exchange
	r  *rules
	c  checker
	ac counts

	anthropic bool
	schema    *requestSchema // nil: no JSON schema check
	keepSeen  bool           // keep released content for the schema check
	keepRed   bool           // keep provider text for moderation at the end

	// Stream state.
	parser  sse.Parser
	out     []byte
	texts   []keyed
	tmpl    []byte // the last OpenAI chunk, the template of chunks Sluice adds
	open    []int  // Anthropic content blocks started and not stopped
	choices []int  // OpenAI choices seen and not finished
	stopped bool
}

// keyed is one text of a streamed answer: OpenAI choice and tool call (-1
// for the content), or Anthropic content block (choice -1).
type keyed struct {
	choice, tool int
	t            *text
}

// newExchange returns the guard state for x's answer, or nil when nothing
// in it needs checking or restoring.
func newExchange(s *Stage, r *rules, x *pipeline.Exchange) *exchange {
	e := &exchange{s: s, x: x, r: r, anthropic: x.API == pipeline.APIMessages}
	e.ac = counts{out: &x.Protect.Output}
	e.c.counts = &e.ac
	e.c.dets, e.c.fold = r.detectors(x.Protect.Canary)
	e.c.ph = newPseudonyms(x.Protect.Pseudonyms)
	if r.schemaAct != actAllow && !e.anthropic {
		e.schema = schemaOf(x.Request.Body)
	}
	e.keepSeen = e.schema != nil
	e.keepRed = r.mod != nil && (r.mod.window == 0 || !x.Streaming)
	if e.c.idle() && e.schema == nil && r.mod == nil {
		return nil
	}
	if x.Streaming {
		e.parser.MaxEventBytes = 8 << 20
	}
	return e
}

// stopReason is why an answer was stopped, for the client and the logs.
type stopReason struct {
	kind string
	msg  string
}

func (e *exchange) stopFor(s *span) *stopReason {
	if s.kind == KindCanary {
		return &stopReason{kind: s.kind, msg: "The response was blocked because it revealed protected instructions."}
	}
	return &stopReason{kind: s.kind, msg: "The response was blocked by the output guardrails (" + s.kind + ")."}
}

// feed passes delta through t's checks and returns what the client may
// see now, in the client's form; final releases everything t holds.
func (e *exchange) feed(ctx context.Context, t *text, delta []byte, final bool) ([]byte, *stopReason) {
	red, stop := e.c.next(t, delta, final)
	if stop != nil {
		return nil, e.stopFor(stop)
	}
	if m := e.r.mod; m != nil && m.window > 0 && e.x.Streaming {
		t.window = append(t.window, red...)
		if len(t.window) < m.window && !final {
			return nil, nil
		}
		if len(t.window) > 0 {
			if why := e.moderate(ctx, t.window); why != nil {
				return nil, why
			}
		}
		red = t.window
		defer func() { t.window = t.window[:0] }()
	}
	if e.keepRed {
		if len(t.red)+len(red) > maxKept {
			return nil, &stopReason{kind: KindModeration, msg: "The response is too long to be moderated."}
		}
		t.red = append(t.red, red...)
	}
	out := e.c.restore(red, t.inJSON)
	if e.keepSeen && !t.inJSON {
		if len(t.seen)+len(out) > maxKept {
			return nil, &stopReason{kind: KindJSONSchema, msg: "The response is too long to be checked against its JSON schema."}
		}
		t.seen = append(t.seen, out...)
	}
	return out, nil
}

// finish runs the checks that read a whole text once it has ended.
func (e *exchange) finish(ctx context.Context, t *text) *stopReason {
	t.done = true
	if e.keepRed && len(t.red) > 0 {
		if why := e.moderate(ctx, t.red); why != nil {
			return why
		}
	}
	if e.schema != nil && !t.inJSON && t.seen != nil {
		if e.schema.validate(t.seen) != nil {
			e.ac.add(KindJSONSchema, e.r.schemaAct)
			// The validation error may quote the answer: it is not logged.
			e.s.log.Info("answer does not match the requested JSON schema", "request_id", e.x.RequestID)
			if e.r.schemaAct == actBlock {
				return &stopReason{kind: KindJSONSchema, msg: "The response does not match the requested JSON schema."}
			}
		}
	}
	return nil
}

// moderate asks the moderation service about provider text (placeholders,
// not the client's values).
func (e *exchange) moderate(ctx context.Context, red []byte) *stopReason {
	v, err := e.r.mod.checker.Check(ctx, string(red))
	if err != nil {
		e.ac.add(KindModeration, actBlock)
		e.s.log.Warn("moderation gave no verdict; failing closed", "request_id", e.x.RequestID, "err", err)
		msg := "The response could not be moderated."
		if errors.Is(err, moderation.ErrUnavailable) {
			msg = "The moderation service is unavailable."
		}
		return &stopReason{kind: KindModeration, msg: msg}
	}
	if !v.Flagged || !e.r.mod.blocks(v.Categories) {
		return nil
	}
	e.ac.add(KindModeration, actBlock)
	e.s.log.Info("answer flagged by moderation", "request_id", e.x.RequestID, "categories", v.Categories)
	return &stopReason{kind: KindModeration, msg: "The response was flagged by content moderation."}
}

// blocks reports whether a flag in categories blocks.
func (m *modRules) blocks(categories []string) bool {
	if m.categories == nil {
		return true
	}
	for _, c := range categories {
		if m.categories[c] {
			return true
		}
	}
	return false
}

// errorFor is the error a stopped answer carries.
func errorFor(why *stopReason) *gwerror.Error {
	return gwerror.New(ContentFilter, "%s", why.msg).WithStatus(400)
}

// stopped records how the exchange ended and logs why. Never the text.
func (e *exchange) noteStop(why *stopReason) {
	e.x.Outcome.Error = string(ContentFilter)
	e.s.log.Info("answer blocked by output guardrails", "request_id", e.x.RequestID, "type", why.kind)
}
