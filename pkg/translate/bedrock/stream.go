package bedrock

import (
	"github.com/tidwall/gjson"

	"github.com/sluice-gw/sluice/pkg/gwerror"
	"github.com/sluice-gw/sluice/pkg/translate"
	"github.com/sluice-gw/sluice/pkg/translate/deltatext"
	"github.com/sluice-gw/sluice/pkg/translate/oaiwire"
	"github.com/sluice-gw/sluice/pkg/translate/providererr"
	"github.com/sluice-gw/sluice/pkg/translate/rawjson"
)

// maxBlocks bounds contentBlockIndex; a real reply has a handful.
const maxBlocks = 1024

// block is the state of one Converse content block.
type block struct {
	tool int  // OpenAI tool_calls index, or -1 for text
	args bool // some arguments were sent for this tool call
	text deltatext.Joiner
}

// stream turns ConverseStream event-stream frames into OpenAI
// chat.completion.chunk events.
type stream struct {
	t            *translator
	reqBody      []byte
	includeUsage bool
	frames       framer
	chunks       oaiwire.Chunks
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
	s.out = oaiwire.OutBuffer(s.out, len(chunk))
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
		s.out = s.chunks.Usage(s.out, s.usage, s.total)
	}
	s.out = oaiwire.AppendDone(s.out)
	s.closed = true
	return nil
}

// fail ends the stream with an OpenAI-shaped error event.
func (s *stream) fail(err error) ([]byte, error) {
	ge := providererr.StreamFailed(provider, err)
	s.out = oaiwire.AppendError(s.out, ge)
	s.closed = true
	return s.out, ge
}

func (s *stream) frame(m *message) error {
	switch string(m.messageType) {
	case "event":
	case "exception":
		msg := ""
		if rawjson.Valid(m.payload) {
			msg = gjson.GetBytes(m.payload, "message").Str
		}
		return awsError(0, string(m.exceptionType), msg, nil)
	case "error":
		return awsError(0, string(m.errorCode), string(m.errorMessage), nil)
	default:
		return malformed("an event-stream frame of message type " + quote(string(m.messageType)))
	}
	if !rawjson.Valid(m.payload) {
		return malformed("an event whose payload is not valid JSON")
	}
	p := gjson.ParseBytes(m.payload)
	if !s.chunks.Started() {
		s.chunks.Start(chatIDPrefix+s.t.newID(), s.t.now().Unix(), gjson.GetBytes(s.reqBody, "model").Str)
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

func quote(s string) string { return string(rawjson.AppendString(nil, s)) }

func (s *stream) start() {
	if !s.started {
		s.started = true
		s.out = s.chunks.Role(s.out, 0)
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
	s.out = s.chunks.ToolCall(s.out, 0, b.tool, id, name, "")
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
		s.content(b.text.Next(txt))
	}
	if in := delta.Get("toolUse.input"); in.Exists() && b.tool >= 0 {
		s.arguments(b, b.text.Next(in))
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
	tail := b.text.Flush()
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
	s.out = s.chunks.Finish(s.out, 0, finishReason(p.Get("stopReason").Str, s.tools > 0))
}

func (s *stream) content(text string) {
	s.out = s.chunks.Content(s.out, 0, text)
}

func (s *stream) arguments(b *block, args string) {
	if args == "" {
		return
	}
	b.args = true
	s.out = s.chunks.Arguments(s.out, 0, b.tool, args)
}
