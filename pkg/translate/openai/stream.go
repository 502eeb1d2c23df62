package openai

import (
	"bytes"
	"errors"
	"strings"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"

	"github.com/sluice-gw/sluice/pkg/gwerror"
	"github.com/sluice-gw/sluice/pkg/sse"
	"github.com/sluice-gw/sluice/pkg/translate"
	"github.com/sluice-gw/sluice/pkg/translate/oaiwire"
	"github.com/sluice-gw/sluice/pkg/translate/providererr"
	"github.com/sluice-gw/sluice/pkg/translate/rawjson"
)

// errStop ends parsing after the terminator; it never leaves the package.
var errStop = errors.New("stream complete")

var doneData = []byte("[DONE]")

// stream re-emits an OpenAI chunk stream event by event. Chunks pass
// through untouched unless Sluice injected include_usage: then the final
// usage-only chunk is recorded but withheld and the `"usage":null` field
// OpenAI adds to every other chunk is removed, so the client sees the stream
// it asked for.
type stream struct {
	provider  translate.Provider
	hideUsage bool
	parser    sse.Parser
	usage     translate.Usage
	out       []byte
	done      bool  // [DONE] seen
	err       error // terminal failure, reported once with its error event
}

func newStream(p translate.Provider, req *translate.Request) *stream {
	s := &stream{provider: p, hideUsage: req == nil || !req.IncludeUsage}
	s.parser.MaxEventBytes = providererr.MaxStreamEventBytes
	return s
}

func (s *stream) Usage() translate.Usage { return s.usage }

func (s *stream) Feed(chunk []byte, end bool) ([]byte, error) {
	if s.err != nil {
		return nil, s.err
	}
	s.out = oaiwire.OutBuffer(s.out, len(chunk))
	if !s.done {
		if err := s.parser.Feed(chunk, s.event); err != nil && !errors.Is(err, errStop) {
			var ue *upstreamEventError
			if errors.As(err, &ue) {
				// The provider's own error event has been forwarded already.
				s.err = streamError(s.provider, err)
				return s.out, s.err
			}
			return s.fail(streamError(s.provider, err))
		}
	}
	if end && !s.done {
		return s.fail(providererr.StreamEnded())
	}
	if bytes.Equal(s.out, chunk) {
		// Whole events passed through untouched: hand back the chunk
		// itself, so Envoy keeps the bytes it holds instead of being sent
		// a copy.
		return chunk, nil
	}
	return s.out, nil
}

// fail appends the error event in OpenAI's shape and remembers the error.
func (s *stream) fail(e *gwerror.Error) ([]byte, error) {
	if s.err == nil {
		s.out = oaiwire.AppendError(s.out, e)
		s.err = e
	}
	return s.out, s.err
}

func (s *stream) event(ev sse.Event) error {
	data := bytes.TrimSpace(ev.Data)
	if len(data) == 0 {
		return nil // an event without data (a bare `event:` line) carries nothing
	}
	if bytes.Equal(data, doneData) {
		s.out = oaiwire.AppendDone(s.out)
		s.done = true
		return errStop
	}
	// One pass checks the chunk and finds the members read below. The
	// event's data is the parser's buffer, reused for the next event: read
	// it in place, and clone what outlives the event.
	var top chunkMembers
	if _, ok := rawjson.Select(data, chunkKeys, top[:]); !ok {
		return providererr.ErrMalformedEvent
	}
	if e := top[chunkError]; e.IsObject() && bytes.Contains(data, []byte(`"error"`)) {
		// Already in OpenAI's shape: forward it and stop.
		s.out = sse.AppendData(s.out, data)
		return &upstreamEventError{msg: strings.Clone(e.Get("message").String())}
	}
	u := top[chunkUsage]
	if u.IsObject() {
		s.usage = oaiwire.ParseUsage(u)
	}
	if !u.IsObject() && !top.hasChoices() {
		// Azure opens its streams with a chunk carrying only prompt-filter
		// results and no choices. Clients index choices[0] of every chunk
		// but the usage one, so such a chunk is dropped, not forwarded.
		return nil
	}
	if s.hideUsage {
		if u.IsObject() && !top.hasChoices() {
			return nil // the usage chunk Sluice asked for on the client's behalf
		}
		if u.Type == gjson.Null && u.Exists() {
			if d, err := sjson.DeleteBytes(data, "usage"); err == nil {
				data = d
			}
		}
	}
	s.out = sse.AppendData(s.out, data)
	return nil
}

// chunkMembers are the top-level members of a chunk that the stream reads,
// by chunkKeys: the first of each name, the one gjson.Get finds.
type chunkMembers [3]gjson.Result

var chunkKeys = []string{chunkError: "error", chunkUsage: "usage", chunkChoices: "choices"}

const (
	chunkError = iota
	chunkUsage
	chunkChoices
)

// hasChoices reports whether the chunk has a non-empty choices array.
// vLLM sends the usage chunk with "choices":null or without the key.
// It is gjson's "choices.0": an array's first element, or an object's
// member "0".
func (c *chunkMembers) hasChoices() bool {
	choices := c[chunkChoices]
	if choices.IsObject() {
		return rawjson.Field(choices, "0").Exists()
	}
	return choices.IsArray() && !rawjson.IsEmpty(choices.Raw)
}

// upstreamEventError is an error event the provider sent in the stream.
type upstreamEventError struct{ msg string }

func (e *upstreamEventError) Error() string { return e.msg }

// streamError turns a parse failure into the client's error.
func streamError(p translate.Provider, err error) *gwerror.Error {
	var ue *upstreamEventError
	if errors.As(err, &ue) {
		return providererr.Reported(p, gwerror.UpstreamError, ue.msg)
	}
	return providererr.StreamEvent(p, err)
}
