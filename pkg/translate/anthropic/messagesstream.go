package anthropic

import (
	"bytes"
	"errors"

	"github.com/tidwall/gjson"

	"github.com/sluice-gw/sluice/pkg/gwerror"
	"github.com/sluice-gw/sluice/pkg/sse"
	"github.com/sluice-gw/sluice/pkg/translate"
	"github.com/sluice-gw/sluice/pkg/translate/oaiwire"
	"github.com/sluice-gw/sluice/pkg/translate/providererr"
	"github.com/sluice-gw/sluice/pkg/translate/rawjson"
)

// MessagesStream converts an OpenAI chat.completion.chunk stream into
// Messages API events for a client that speaks Anthropic's format. Its
// input is what an OpenAI-family translator emits; it implements
// translate.StreamTranslator so the response stage can chain the two.
type MessagesStream struct {
	parser  sse.Parser
	out     []byte
	started bool
	open    int   // Anthropic index of the open content block, or -1
	next    int   // the next content block index
	text    int   // index of the open text block, or -1
	tools   []int // OpenAI tool index → Anthropic block index
	finish  string
	usage   translate.Usage
	done    bool
	err     error
}

// NewMessagesStream starts converting one stream.
func NewMessagesStream() *MessagesStream {
	s := &MessagesStream{open: -1, text: -1}
	s.parser.MaxEventBytes = providererr.MaxStreamEventBytes
	return s
}

// Usage is the usage from the stream's final usage chunk.
func (s *MessagesStream) Usage() translate.Usage { return s.usage }

// Feed converts chunk and returns Anthropic SSE bytes.
func (s *MessagesStream) Feed(chunk []byte, end bool) ([]byte, error) {
	if s.err != nil {
		return nil, s.err
	}
	s.out = nil
	if !s.done {
		if err := s.parser.Feed(chunk, s.event); err != nil && !errors.Is(err, errStop) {
			return s.fail(err)
		}
	}
	if end && !s.done {
		return s.fail(providererr.StreamEnded())
	}
	return s.out, nil
}

func (s *MessagesStream) fail(err error) ([]byte, error) {
	var ge *gwerror.Error
	if !errors.As(err, &ge) {
		ge = gwerror.Wrap(gwerror.UpstreamError, err, "provider sent a malformed stream event")
	}
	s.out = appendErrorEvent(s.out, ge)
	s.err = ge
	return s.out, ge
}

func (s *MessagesStream) emit(name string, data []byte) {
	s.out = sse.AppendEvent(s.out, name, data)
}

func (s *MessagesStream) event(ev sse.Event) error {
	data := bytes.TrimSpace(ev.Data)
	if len(data) == 0 {
		return nil
	}
	if bytes.Equal(data, []byte("[DONE]")) {
		s.stop()
		return errStop
	}
	if !rawjson.Valid(data) {
		return providererr.ErrMalformedEvent
	}
	root := gjson.ParseBytes(data)
	if e := root.Get("error"); e.IsObject() {
		msg := e.Get("message").Str
		if msg == "" {
			msg = "provider reported a stream error"
		}
		return gwerror.New(gwerror.UpstreamError, "%s", msg)
	}
	s.start(root)
	if u := root.Get("usage"); u.IsObject() {
		s.usage = oaiwire.ParseUsage(u)
	}
	choice := root.Get("choices.0")
	delta := choice.Get("delta")
	for _, field := range [...]string{"content", "refusal"} {
		if t := delta.Get(field); t.Type == gjson.String && t.Str != "" {
			s.textDelta(t.Raw)
		}
	}
	delta.Get("tool_calls").ForEach(func(_, call gjson.Result) bool {
		s.toolDelta(call)
		return true
	})
	if f := choice.Get("finish_reason"); f.Type == gjson.String {
		s.finish = f.Str
		s.closeBlock()
	}
	return nil
}

// start sends message_start on the first chunk. Input tokens are not known
// until the usage chunk, so they arrive in message_delta, as Anthropic's
// own newer streams report them.
func (s *MessagesStream) start(root gjson.Result) {
	if s.started {
		return
	}
	s.started = true
	b := append([]byte(nil), '{')
	b = str(b, "type", "message_start")
	b = append(key(b, "message"), '{')
	b = str(b, "id", root.Get("id").String())
	b = str(b, "type", "message")
	b = str(b, "role", "assistant")
	b = str(b, "model", root.Get("model").String())
	b = raw(b, "content", "[]")
	b = raw(b, "stop_reason", "null")
	b = raw(b, "stop_sequence", "null")
	b = raw(b, "usage", `{"input_tokens":0,"output_tokens":0}`)
	s.emit("message_start", append(b, '}', '}'))
}

func (s *MessagesStream) textDelta(rawText string) {
	if s.text < 0 {
		s.closeBlock()
		s.text = s.openBlock(`{"type":"text","text":""}`)
	}
	b := append([]byte(nil), '{')
	b = str(b, "type", "content_block_delta")
	b = num(b, "index", int64(s.text))
	b = append(key(b, "delta"), '{')
	b = str(b, "type", "text_delta")
	b = append(raw(b, "text", rawText), '}', '}')
	s.emit("content_block_delta", b)
}

// toolDelta starts a tool_use block for a new OpenAI tool index and streams
// argument fragments as input_json_delta.
func (s *MessagesStream) toolDelta(call gjson.Result) {
	idx := int(call.Get("index").Int())
	if idx < 0 || idx > len(s.tools) {
		return // an index that skips ahead cannot be placed
	}
	if idx == len(s.tools) {
		s.closeBlock()
		cb := append([]byte(nil), '{')
		cb = str(cb, "type", "tool_use")
		cb = str(cb, "id", call.Get("id").Str)
		cb = str(cb, "name", call.Get("function.name").Str)
		cb = append(raw(cb, "input", "{}"), '}')
		s.tools = append(s.tools, s.openBlock(string(cb)))
	}
	args := call.Get("function.arguments")
	if args.Type != gjson.String || args.Str == "" {
		return
	}
	b := append([]byte(nil), '{')
	b = str(b, "type", "content_block_delta")
	b = num(b, "index", int64(s.tools[idx]))
	b = append(key(b, "delta"), '{')
	b = str(b, "type", "input_json_delta")
	b = append(raw(b, "partial_json", args.Raw), '}', '}')
	s.emit("content_block_delta", b)
}

func (s *MessagesStream) openBlock(contentBlock string) int {
	idx := s.next
	s.next++
	s.open = idx
	b := append([]byte(nil), '{')
	b = str(b, "type", "content_block_start")
	b = num(b, "index", int64(idx))
	b = append(raw(b, "content_block", contentBlock), '}')
	s.emit("content_block_start", b)
	return idx
}

func (s *MessagesStream) closeBlock() {
	if s.open < 0 {
		return
	}
	b := append([]byte(nil), '{')
	b = str(b, "type", "content_block_stop")
	b = append(num(b, "index", int64(s.open)), '}')
	s.emit("content_block_stop", b)
	s.open, s.text = -1, -1
}

// stop ends the message at the OpenAI [DONE].
func (s *MessagesStream) stop() {
	s.start(gjson.Result{})
	s.closeBlock()
	b := append([]byte(nil), '{')
	b = str(b, "type", "message_delta")
	b = append(key(b, "delta"), '{')
	b = str(b, "stop_reason", stopReason(s.finish))
	b = append(raw(b, "stop_sequence", "null"), '}')
	b = appendMessagesUsage(b, s.usage)
	s.emit("message_delta", append(b, '}'))
	s.emit("message_stop", []byte(`{"type":"message_stop"}`))
	s.done = true
}
