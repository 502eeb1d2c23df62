package anthropic

import (
	"bytes"
	"errors"
	"strings"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"

	"github.com/sluice-gw/sluice/pkg/gwerror"
	"github.com/sluice-gw/sluice/pkg/sse"
	"github.com/sluice-gw/sluice/pkg/translate"
	"github.com/sluice-gw/sluice/pkg/translate/providererr"
	"github.com/sluice-gw/sluice/pkg/translate/rawjson"
)

// PassthroughRequest forwards a Messages API request to Anthropic: only the
// model, path and auth change.
func PassthroughRequest(body []byte, t *translate.Target) (*translate.Upstream, error) {
	if t == nil {
		return nil, gwerror.New(gwerror.Internal, "anthropic: target missing")
	}
	if object, ok := rawjson.Select(body, nil, nil); !ok || !object {
		return nil, gwerror.New(gwerror.InvalidJSON, "request body must be a JSON object")
	}
	if t.Model != "" {
		var err error
		if body, err = sjson.SetBytes(body, "model", t.Model); err != nil {
			return nil, gwerror.Wrap(gwerror.InvalidJSON, err, "request body is not valid JSON")
		}
	}
	return &translate.Upstream{Method: "POST", Path: messagesPath(t), Body: body, Headers: headers(t)}, nil
}

// PassthroughResponse returns a Message unchanged with its usage.
func PassthroughResponse(body []byte) (*translate.Response, error) {
	usage, object, ok := rawjson.Lookup(body, "usage")
	if !ok || !object {
		return nil, malformed()
	}
	return &translate.Response{Body: body, Usage: parseUsage(usage)}, nil
}

// PassthroughStream re-emits an Anthropic stream event by event, metering
// it and closing a cut stream with an error event in Anthropic's shape.
type PassthroughStream struct {
	parser sse.Parser
	out    []byte
	counts counts
	done   bool
	err    error
}

// NewPassthroughStream starts one pass-through stream.
func NewPassthroughStream() *PassthroughStream {
	s := &PassthroughStream{}
	s.parser.MaxEventBytes = providererr.MaxStreamEventBytes
	return s
}

// Usage is the usage reported by message_start and message_delta.
func (s *PassthroughStream) Usage() translate.Usage { return s.counts.usage() }

// Feed forwards every complete event in chunk.
func (s *PassthroughStream) Feed(chunk []byte, end bool) ([]byte, error) {
	if s.err != nil {
		return nil, s.err
	}
	s.out = nil
	if !s.done {
		err := s.parser.Feed(chunk, s.event)
		var ee *eventError
		switch {
		case errors.As(err, &ee):
			s.err = streamError(err) // the provider's error event is already forwarded
			return s.out, s.err
		case err != nil && !errors.Is(err, errStop):
			ge := streamError(err)
			s.out, s.err = appendErrorEvent(s.out, ge), ge
			return s.out, s.err
		}
	}
	if end && !s.done {
		ge := providererr.StreamEnded()
		s.out, s.err = appendErrorEvent(s.out, ge), ge
		return s.out, s.err
	}
	return s.out, nil
}

func (s *PassthroughStream) event(ev sse.Event) error {
	data := bytes.TrimSpace(ev.Data)
	if len(data) == 0 {
		return nil
	}
	// One pass checks the event and finds the members read below, in the
	// parser's buffer, as stream.event does: clone what outlives the event.
	var top [len(eventKeys)]gjson.Result
	if _, ok := rawjson.Select(data, eventKeys[:], top[:]); !ok {
		return providererr.ErrMalformedEvent
	}
	s.out = sse.AppendEvent(s.out, string(ev.Name), data)
	switch top[evType].Str {
	case "message_start":
		s.counts.update(top[evMessage].Get("usage"))
	case "message_delta":
		s.counts.update(top[evUsage])
	case "message_stop":
		s.done = true
		return errStop
	case "error":
		e := top[evError]
		return &eventError{typ: strings.Clone(e.Get("type").Str), msg: strings.Clone(e.Get("message").Str)}
	}
	return nil
}
