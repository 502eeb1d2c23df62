package bedrock

import (
	"github.com/tidwall/gjson"

	"github.com/sluice-gw/sluice/pkg/gwerror"
	"github.com/sluice-gw/sluice/pkg/sse"
	"github.com/sluice-gw/sluice/pkg/translate"
)

// maxBlocks bounds contentBlockIndex; a real reply has a handful.
const maxBlocks = 1024

// block is the state of one Converse content block.
type block struct {
	tool int  // OpenAI tool_calls index, or -1 for text
	args bool // some arguments were sent for this tool call
	text textJoiner
}

// stream turns ConverseStream event-stream frames into OpenAI
// chat.completion.chunk events.
type stream struct {
	t            *translator
	reqBody      []byte
	includeUsage bool
	frames       framer
	prefix       []byte // chunk JSON up to and including `"choices":[`
	blocks       []block
	tools        int
	started      bool
	stopped      bool
	usage        translate.Usage
	total        int64
	out          []byte
	closed       bool
}

func newStream(t *translator, req *translate.Request) *stream {
	return &stream{t: t, reqBody: req.Body, includeUsage: req.IncludeUsage}
}

func (s *stream) Usage() translate.Usage { return s.usage }

func (s *stream) Feed(chunk []byte, end bool) ([]byte, error) {
	if s.closed {
		return nil, nil
	}
	// Output is freshly allocated per call: later stages may hold it.
	s.out = nil
	err := s.frames.feed(chunk, s.frame)
	if err == nil && end {
		err = s.finish()
	}
	if err != nil {
		return s.fail(err)
	}
	return s.out, nil
}

func (s *stream) finish() error {
	if s.frames.pending() {
		return gwerror.New(gwerror.UpstreamError, "bedrock stream ended in the middle of an event-stream frame")
	}
	if !s.stopped {
		return gwerror.New(gwerror.UpstreamError, "bedrock stream ended before the response was complete")
	}
	if s.includeUsage {
		s.out = append(s.out, "data: "...)
		s.out = append(s.out, s.prefix...)
		s.out = appendUsage(append(s.out, "],"...), s.usage, s.total)
		s.out = append(s.out, "}\n\n"...)
	}
	s.out = append(s.out, sse.Done...)
	s.closed = true
	return nil
}

// fail ends the stream with an OpenAI-shaped error event.
func (s *stream) fail(err error) ([]byte, error) {
	ge := gwerror.From(err)
	if ge.Code == gwerror.Internal {
		ge = gwerror.Wrap(gwerror.UpstreamError, err, "bedrock stream could not be read")
	}
	s.out = append(s.out, "data: "...)
	s.out = append(s.out, ge.Body()...)
	s.out = append(s.out, "\n\n"...)
	s.closed = true
	return s.out, ge
}

func (s *stream) frame(m *message) error {
	switch string(m.messageType) {
	case "event":
	case "exception":
		msg := ""
		if gjson.ValidBytes(m.payload) {
			msg = gjson.GetBytes(m.payload, "message").Str
		}
		return awsError(0, string(m.exceptionType), msg, nil)
	case "error":
		return awsError(0, string(m.errorCode), string(m.errorMessage), nil)
	default:
		return malformed("an event-stream frame of message type " + quote(string(m.messageType)))
	}
	if !gjson.ValidBytes(m.payload) {
		return malformed("an event whose payload is not valid JSON")
	}
	p := gjson.ParseBytes(m.payload)
	if s.prefix == nil {
		h := s.t.head(make([]byte, 0, 128), "chat.completion.chunk", s.reqBody)
		s.prefix = append(h, `,"choices":[`...)
	}
	switch string(m.eventType) {
	case "messageStart":
		s.start()
	case "contentBlockStart":
		return s.blockStart(p)
	case "contentBlockDelta":
		return s.blockDelta(p)
	case "contentBlockStop":
		return s.blockStop(p)
	case "messageStop":
		s.messageStop(p)
	case "metadata":
		s.usage, s.total = usageOf(p.Get("usage"))
	}
	// Event types added to Converse later are skipped, not failed.
	return nil
}

func quote(s string) string { return string(appendString(nil, s)) }

func (s *stream) start() {
	if !s.started {
		s.started = true
		s.begin()
		s.out = append(s.out, `{"role":"assistant","content":""}`...)
		s.end("")
	}
}

// blockAt returns the state of content block p.contentBlockIndex.
func (s *stream) blockAt(p gjson.Result) (*block, error) {
	i := p.Get("contentBlockIndex").Int()
	if i < 0 || i >= maxBlocks {
		return nil, malformed("a contentBlockIndex out of range")
	}
	for int64(len(s.blocks)) <= i {
		s.blocks = append(s.blocks, block{tool: -1})
	}
	return &s.blocks[i], nil
}

func (s *stream) blockStart(p gjson.Result) error {
	use := p.Get("start.toolUse")
	if !use.Exists() || s.stopped {
		return nil
	}
	b, err := s.blockAt(p)
	if err != nil {
		return err
	}
	id, name := use.Get("toolUseId").Str, use.Get("name").Str
	if id == "" || name == "" {
		return malformed("a toolUse block start without toolUseId or name")
	}
	s.start()
	b.tool = s.tools
	s.tools++
	s.begin()
	s.out = appendInt(append(s.out, `{"tool_calls":[{"index":`...), int64(b.tool))
	s.out = appendString(append(s.out, `,"id":`...), id)
	s.out = appendString(append(s.out, `,"type":"function","function":{"name":`...), name)
	s.out = append(s.out, `,"arguments":""}}]}`...)
	s.end("")
	return nil
}

func (s *stream) blockDelta(p gjson.Result) error {
	if s.stopped {
		return nil
	}
	b, err := s.blockAt(p)
	if err != nil {
		return err
	}
	delta := p.Get("delta")
	if txt := delta.Get("text"); txt.Exists() && b.tool < 0 {
		s.start()
		s.content(b.text.next(txt))
	}
	if in := delta.Get("toolUse.input"); in.Exists() && b.tool >= 0 {
		s.arguments(b, b.text.next(in))
	}
	// reasoningContent deltas are private reasoning and are not forwarded.
	return nil
}

func (s *stream) blockStop(p gjson.Result) error {
	b, err := s.blockAt(p)
	if err != nil {
		return err
	}
	s.flush(b)
	return nil
}

// flush ends a block: a held-back character tail is sent, and a tool call
// that received no input gets "{}", since "" is not JSON a client can parse.
func (s *stream) flush(b *block) {
	tail := b.text.flush()
	switch {
	case b.tool < 0:
		s.content(tail)
	case !b.args && tail == "":
		s.arguments(b, "{}")
	default:
		s.arguments(b, tail)
	}
}

func (s *stream) messageStop(p gjson.Result) {
	if s.stopped {
		return
	}
	for i := range s.blocks {
		s.flush(&s.blocks[i])
	}
	s.start()
	s.stopped = true
	s.begin()
	s.out = append(s.out, "{}"...)
	s.end(finishReason(p.Get("stopReason").Str, s.tools > 0))
}

func (s *stream) content(text string) {
	if text == "" {
		return
	}
	s.begin()
	s.out = append(appendString(append(s.out, `{"content":`...), text), '}')
	s.end("")
}

func (s *stream) arguments(b *block, args string) {
	if args == "" {
		return
	}
	b.args = true
	s.begin()
	s.out = appendInt(append(s.out, `{"tool_calls":[{"index":`...), int64(b.tool))
	s.out = append(appendString(append(s.out, `,"function":{"arguments":`...), args), "}}]}"...)
	s.end("")
}

func (s *stream) begin() {
	s.out = append(s.out, "data: "...)
	s.out = append(s.out, s.prefix...)
	s.out = append(s.out, `{"index":0,"delta":`...)
}

func (s *stream) end(finish string) {
	s.out = append(s.out, `,"logprobs":null,"finish_reason":`...)
	if finish == "" {
		s.out = append(s.out, "null"...)
	} else {
		s.out = appendString(s.out, finish)
	}
	s.out = append(s.out, "}]}\n\n"...)
}
