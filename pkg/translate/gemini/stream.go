package gemini

import (
	"github.com/tidwall/gjson"

	"github.com/sluice-gw/sluice/pkg/gwerror"
	"github.com/sluice-gw/sluice/pkg/sse"
	"github.com/sluice-gw/sluice/pkg/translate"
	"github.com/sluice-gw/sluice/pkg/translate/deltatext"
	"github.com/sluice-gw/sluice/pkg/translate/oaiwire"
	"github.com/sluice-gw/sluice/pkg/translate/providererr"
	"github.com/sluice-gw/sluice/pkg/translate/rawjson"
)

// maxEventBytes bounds one buffered SSE event (inline media included).
const maxEventBytes = 32 << 20

var flushEvent = []byte("\n\n")

type choiceState struct {
	started, finished bool
	tools             int
	text              deltatext.Joiner
}

// stream turns streamGenerateContent?alt=sse events, each a whole
// GenerateContentResponse, into OpenAI chat.completion.chunk events.
type stream struct {
	t            *translator
	reqBody      []byte
	includeUsage bool
	parser       sse.Parser
	chunks       oaiwire.Chunks
	choices      []choiceState
	usage        translate.Usage
	total        int64 // totalTokenCount
	out          []byte
	closed       bool
}

func newStream(t *translator, req *translate.Request) *stream {
	return &stream{
		t:            t,
		reqBody:      req.Body,
		includeUsage: req.IncludeUsage,
		parser:       sse.Parser{MaxEventBytes: maxEventBytes},
	}
}

func (s *stream) Usage() translate.Usage { return s.usage }

func (s *stream) Feed(chunk []byte, end bool) ([]byte, error) {
	if s.closed {
		return nil, nil
	}
	// Output is freshly allocated per call: later stages may hold it.
	s.out = oaiwire.OutBuffer(s.out, len(chunk))
	err := s.parser.Feed(chunk, s.event)
	if err == nil && end {
		err = s.finish()
	}
	if err != nil {
		return s.fail(err)
	}
	return s.out, nil
}

func (s *stream) finish() error {
	if s.parser.Pending() {
		// A last event without its blank line still counts if it is whole;
		// a cut one fails to parse and reports the truncation.
		if err := s.parser.Feed(flushEvent, s.event); err != nil {
			return err
		}
	}
	if !s.complete() {
		return gwerror.New(gwerror.UpstreamError, "gemini stream ended before the response was complete")
	}
	if s.includeUsage {
		s.out = s.chunks.Usage(s.out, s.usage, s.total)
	}
	s.out = oaiwire.AppendDone(s.out)
	s.closed = true
	return nil
}

func (s *stream) complete() bool {
	started := false
	for i := range s.choices {
		if s.choices[i].started {
			started = true
			if !s.choices[i].finished {
				return false
			}
		}
	}
	return started
}

// fail ends the stream with an OpenAI-shaped error event.
func (s *stream) fail(err error) ([]byte, error) {
	ge := providererr.StreamFailed(provider, err)
	s.out = oaiwire.AppendError(s.out, ge)
	s.closed = true
	return s.out, ge
}

func (s *stream) event(ev sse.Event) error {
	if len(ev.Data) == 0 {
		return nil
	}
	if !rawjson.Valid(ev.Data) {
		return malformed("a stream event that is not valid JSON")
	}
	r := gjson.ParseBytes(ev.Data)
	// One pass over the top level instead of a Get per field: this runs
	// once per streamed token batch.
	var errv, usage, cands, feedback gjson.Result
	r.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "error":
			errv = v
		case "usageMetadata":
			usage = v
		case "candidates":
			cands = v
		case "promptFeedback":
			feedback = v
		}
		return true
	})
	if errv.IsObject() {
		return errorFromJSON(0, nil, errv)
	}
	if !s.chunks.Started() {
		id, model := s.t.responseHead(r, s.reqBody)
		s.chunks.Start(id, s.t.now().Unix(), model)
	}
	if usage.IsObject() {
		s.usage, s.total = usageOf(usage)
	}
	if !cands.IsArray() || rawjson.IsEmpty(cands.Raw) {
		if feedback.Get("blockReason").Exists() && len(s.choices) == 0 {
			s.choices = append(s.choices, choiceState{started: true, finished: true})
			s.out = s.chunks.Role(s.out, 0)
			s.out = s.chunks.Finish(s.out, 0, "content_filter")
		}
		return nil
	}
	var err error
	n := 0
	cands.ForEach(func(_, c gjson.Result) bool {
		err = s.candidate(c, n)
		n++
		return err == nil
	})
	return err
}

// candidateFields are the members of one candidate the stream reads.
type candidateFields struct {
	index, parts, finish gjson.Result
}

func (s *stream) candidate(c gjson.Result, n int) error {
	var f candidateFields
	c.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "index":
			f.index = v
		case "content":
			f.parts = v.Get("parts")
		case "finishReason":
			f.finish = v
		}
		return true
	})
	idx := int64(n)
	if f.index.Exists() {
		idx = f.index.Int()
	}
	if idx < 0 || idx >= maxCandidates {
		return malformed("a candidate index out of range")
	}
	for int64(len(s.choices)) <= idx {
		s.choices = append(s.choices, choiceState{})
	}
	i := int(idx)
	if s.choices[i].finished {
		return nil
	}
	if !s.choices[i].started {
		s.choices[i].started = true
		s.out = s.chunks.Role(s.out, i)
	}
	var err error
	f.parts.ForEach(func(_, p gjson.Result) bool {
		err = s.part(i, p)
		return err == nil
	})
	if err != nil {
		return err
	}
	if fr := f.finish.Str; fr != "" {
		ch := &s.choices[i]
		s.out = s.chunks.Content(s.out, i, ch.text.Flush())
		ch.finished = true
		s.out = s.chunks.Finish(s.out, i, finishReason(fr, ch.tools > 0))
	}
	return nil
}

func (s *stream) part(i int, p gjson.Result) error {
	var text, call, sig gjson.Result
	thought := false
	p.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "text":
			text = v
		case "functionCall":
			call = v
		case "thoughtSignature":
			sig = v
		case "thought":
			thought = v.Type == gjson.True
		}
		return true
	})
	if thought {
		return nil
	}
	ch := &s.choices[i]
	if text.Exists() {
		s.out = s.chunks.Content(s.out, i, ch.text.Next(text))
	}
	if !call.Exists() {
		return nil
	}
	// A Gemini function call arrives whole: one delta carries it all.
	mark := len(s.out)
	out, err := s.t.appendToolCall(append(s.chunks.Begin(s.out, i), `{"tool_calls":[`...), call, sig.Str, ch.tools)
	if err != nil {
		s.out = s.out[:mark]
		return err
	}
	s.out = s.chunks.End(append(out, "]}"...), "")
	ch.tools++
	return nil
}
