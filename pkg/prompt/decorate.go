package prompt

import (
	"context"
	"slices"
	"strconv"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"

	"github.com/sluice-gw/sluice/pkg/config"
	"github.com/sluice-gw/sluice/pkg/gwerror"
	"github.com/sluice-gw/sluice/pkg/pipeline"

	"github.com/sluice-gw/sluice/pkg/translate/rawjson"
)

// Decorate is the request stage that applies the decorators the policy
// chose (decision prompt.decorators). It runs after the policy and the
// data-protection edits and before admission, so the token estimate
// counts the decorators' text.
type Decorate struct{ s *Stage }

// Decorate returns the stage that applies s's decorators.
func (s *Stage) Decorate() *Decorate { return &Decorate{s: s} }

// Name implements pipeline.RequestStage.
func (*Decorate) Name() string { return "decorate" }

// OnRequest implements pipeline.RequestStage.
func (d *Decorate) OnRequest(_ context.Context, x *pipeline.Exchange) error {
	if x.Decision == nil || len(x.Decision.Prompt.Decorators) == 0 {
		return nil
	}
	if x.API != pipeline.APIChat && x.API != pipeline.APIMessages {
		return nil // no system prompt to decorate
	}
	known := d.s.cur.Load().decorators
	var pre, post []config.Decorator
	for _, name := range x.Decision.Prompt.Decorators {
		dec, ok := known[name]
		if !ok {
			// Fail closed: the policy meant this text to be there.
			return gwerror.New(gwerror.PolicyError, "the policy chose decorator %q, which is not configured", name)
		}
		if dec.Position == config.DecoratorAppend {
			post = append(post, dec)
		} else {
			pre = append(pre, dec)
		}
	}
	var body []byte
	var err error
	if x.API == pipeline.APIMessages {
		body, err = decorateSystem(x.Request.Body, pre, post)
	} else {
		body, err = decorateMessages(x.Request.Body, pre, post)
		x.Summary.MessageCount += len(pre) + len(post)
	}
	if err != nil {
		return gwerror.Wrap(gwerror.Internal, err, "applying decorators")
	}
	x.Request.Body = body
	x.Out.Body, x.Out.ReplaceBody = body, true
	x.Out.Set("content-length", strconv.Itoa(len(body)))
	x.Prompt.Decorators = slices.Clone(x.Decision.Prompt.Decorators)
	return nil
}

// decorateMessages adds each decorator as its own system message: the
// prepended ones first of all, the appended ones right after the
// request's leading system (or developer) messages. The client's own
// messages are copied unchanged.
func decorateMessages(body []byte, pre, post []config.Decorator) ([]byte, error) {
	msgs := gjson.GetBytes(body, "messages")
	out := make([]byte, 0, len(msgs.Raw)+256)
	out = append(out, '[')
	for _, d := range pre {
		out = systemMessage(out, d.Text)
	}
	leading := true
	msgs.ForEach(func(_, m gjson.Result) bool {
		if role := m.Get("role").Str; leading && role != "system" && role != "developer" {
			leading = false
			for _, d := range post {
				out = systemMessage(out, d.Text)
			}
		}
		out = append(out, m.Raw...)
		out = append(out, ',')
		return true
	})
	if leading {
		for _, d := range post {
			out = systemMessage(out, d.Text)
		}
	}
	out[len(out)-1] = ']' // there is at least one decorator, so a trailing comma
	return sjson.SetRawBytes(body, "messages", out)
}

func systemMessage(dst []byte, text string) []byte {
	dst = append(dst, `{"role":"system","content":`...)
	dst = rawjson.AppendString(dst, text)
	return append(dst, "},"...)
}

// decorateSystem decorates an Anthropic Messages body, whose system prompt
// is the top-level "system": a string or a list of text blocks. It becomes
// a list of blocks: the prepended texts, the request's own, the appended.
func decorateSystem(body []byte, pre, post []config.Decorator) ([]byte, error) {
	out := []byte{'['}
	for _, d := range pre {
		out = textBlock(out, d.Text)
	}
	switch sys := gjson.GetBytes(body, "system"); {
	case sys.Type == gjson.String:
		out = textBlock(out, sys.Str)
	case sys.IsArray():
		sys.ForEach(func(_, b gjson.Result) bool {
			out = append(out, b.Raw...)
			out = append(out, ',')
			return true
		})
	}
	for _, d := range post {
		out = textBlock(out, d.Text)
	}
	out[len(out)-1] = ']'
	return sjson.SetRawBytes(body, "system", out)
}

func textBlock(dst []byte, text string) []byte {
	dst = append(dst, `{"type":"text","text":`...)
	dst = rawjson.AppendString(dst, text)
	return append(dst, "},"...)
}
