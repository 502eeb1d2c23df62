package anthropic

import (
	"bytes"
	"errors"
	"strings"
	"time"

	"github.com/tidwall/gjson"

	"github.com/sluice-gw/sluice/pkg/gwerror"
	"github.com/sluice-gw/sluice/pkg/sse"
	"github.com/sluice-gw/sluice/pkg/translate"
	"github.com/sluice-gw/sluice/pkg/translate/deltatext"
	"github.com/sluice-gw/sluice/pkg/translate/oaiwire"
	"github.com/sluice-gw/sluice/pkg/translate/providererr"
	"github.com/sluice-gw/sluice/pkg/translate/rawjson"
)

type blockKind uint8

const (
	blockOther blockKind = iota // thinking, server tools: not part of a chat completion
	blockText
	blockTool
	blockJSON // the forced response_format tool: its input is the answer text
)

// block is one Anthropic content block being streamed.
type block struct {
	index int64
	kind  blockKind
	tool  int              // the OpenAI tool_calls index
	text  deltatext.Joiner // holds back a character cut across deltas
}

// stream turns Anthropic stream events into OpenAI chat.completion.chunk
// events. Each event is translated as soon as it is complete; nothing is
// buffered beyond the SSE parser's unfinished tail and a split rune.
type stream struct {
	forced       string // the response_format tool, or ""
	includeUsage bool
	created      int64

	parser     sse.Parser
	out        []byte
	chunks     oaiwire.Chunks
	blocks     []block
	tools      int
	sawForced  bool
	finishSent bool
	stopReason string
	counts     counts
	done       bool
	err        error
}

func newStream(req *translate.Request, now time.Time) *stream {
	s := &stream{created: now.Unix()}
	if req != nil {
		s.forced = forcedToolName(req.Body)
		s.includeUsage = req.IncludeUsage
	}
	s.parser.MaxEventBytes = providererr.MaxStreamEventBytes
	return s
}

func (s *stream) Usage() translate.Usage { return s.counts.usage() }

func (s *stream) Feed(chunk []byte, end bool) ([]byte, error) {
	if s.err != nil {
		return nil, s.err
	}
	s.out = oaiwire.OutBuffer(s.out, len(chunk))
	if !s.done {
		if err := s.parser.Feed(chunk, s.event); err != nil && !errors.Is(err, errStop) {
			return s.fail(streamError(err))
		}
	}
	if end && !s.done {
		return s.fail(providererr.StreamEnded())
	}
	return s.out, nil
}

func (s *stream) fail(e *gwerror.Error) ([]byte, error) {
	s.out = oaiwire.AppendError(s.out, e)
	s.err = e
	return s.out, e
}

func (s *stream) event(ev sse.Event) error {
	data := bytes.TrimSpace(ev.Data)
	if len(data) == 0 {
		return nil
	}
	// The event's data is the parser's buffer, reused for the next event:
	// it is read in place, and what outlives the event is cloned.
	if index, text, ok := textDelta(data); ok {
		s.textDelta(index, text)
		return nil
	}
	// One pass checks the event and finds the members read below.
	var top [len(eventKeys)]gjson.Result
	if _, ok := rawjson.Select(data, eventKeys[:], top[:]); !ok {
		return providererr.ErrMalformedEvent
	}
	typ := top[evType].Str
	if typ == "" {
		typ = string(ev.Name)
	}
	switch typ {
	case "message_start":
		s.messageStart(top[evMessage])
	case "content_block_start":
		s.blockStart(top[evIndex].Int(), top[evBlock])
	case "content_block_delta":
		s.blockDelta(top[evIndex].Int(), top[evDelta])
	case "content_block_stop":
		if blk := s.block(top[evIndex].Int()); blk != nil {
			s.flush(blk)
		}
	case "message_delta":
		s.messageDelta(top[evDelta], top[evUsage])
	case "message_stop":
		s.messageStop()
		return errStop
	case "error":
		e := top[evError]
		return &eventError{typ: strings.Clone(e.Get("type").Str), msg: strings.Clone(e.Get("message").Str)}
	}
	// ping, and event types added after this code was written, carry
	// nothing a chat completion can show.
	return nil
}

func (s *stream) messageStart(msg gjson.Result) {
	s.counts.update(msg.Get("usage"))
	s.start(strings.Clone(msg.Get("id").String()), strings.Clone(msg.Get("model").String()))
}

// start emits the first chunk, which carries the assistant role. Any
// chunk starts the stream: a provider may skip message_start.
func (s *stream) start(id, model string) {
	if s.chunks.Started() {
		return
	}
	s.chunks.Start(id, s.created, model)
	s.out = s.chunks.Role(s.out, 0)
}

func (s *stream) block(index int64) *block {
	for i := range s.blocks {
		if s.blocks[i].index == index {
			return &s.blocks[i]
		}
	}
	return nil
}

func (s *stream) blockStart(index int64, cb gjson.Result) {
	blk := block{index: index}
	switch cb.Get("type").Str {
	case "text":
		blk.kind = blockText
	case "tool_use":
		name := cb.Get("name").Str
		if s.forced != "" && name == s.forced {
			blk.kind, s.sawForced = blockJSON, true
			break
		}
		blk.kind, blk.tool = blockTool, s.tools
		s.tools++
		s.start("", "")
		s.out = s.chunks.ToolCall(s.out, 0, blk.tool, cb.Get("id").Str, name, "")
	}
	if old := s.block(index); old != nil {
		*old = blk
	} else {
		s.blocks = append(s.blocks, blk)
	}
	if blk.kind == blockText {
		s.text(s.block(index), cb.Get("text").Str)
	}
}

func (s *stream) blockDelta(index int64, d gjson.Result) {
	// Most of a stream is these events: one pass over the delta.
	var f [len(deltaKeys)]gjson.Result
	rawjson.Fields(d, deltaKeys[:], f[:])
	switch f[deltaType].Str {
	case "text_delta":
		s.textDelta(index, f[deltaText].Str)
	case "input_json_delta":
		if blk := s.block(index); blk != nil && (blk.kind == blockTool || blk.kind == blockJSON) {
			s.text(blk, f[deltaPartialJSON].Str)
		}
	}
	// thinking_delta, signature_delta, citations_delta: OpenAI chat has no
	// field for them.
}

// textDelta takes a text_delta of block index.
func (s *stream) textDelta(index int64, text string) {
	blk := s.block(index)
	if blk == nil { // a delta without its start: treat it as text
		s.blocks = append(s.blocks, block{index: index, kind: blockText})
		blk = &s.blocks[len(s.blocks)-1]
	}
	if blk.kind == blockText {
		s.text(blk, text)
	}
}

// Most of a stream is text deltas, which Anthropic writes in one shape.
// textDelta reads an event of exactly that shape,
// {"type":"content_block_delta","index":N,"delta":{"type":"text_delta","text":"..."}},
// in one short pass; any other event, and any variation of this one
// (spacing, order, another member), is left to the general reading, which
// would find the same index and text (FuzzTextDelta).
func textDelta(data []byte) (index int64, text string, ok bool) {
	rest, ok := bytes.CutPrefix(data, textDeltaHead)
	if !ok {
		return 0, "", false
	}
	n := 0
	for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
		n++
	}
	if n == 0 || n > 18 || n > 1 && rest[0] == '0' {
		return 0, "", false
	}
	for _, c := range rest[:n] {
		index = index*10 + int64(c-'0')
	}
	if rest, ok = bytes.CutPrefix(rest[n:], textDeltaMid); !ok || len(rest) == 0 || rest[0] != '"' {
		return 0, "", false
	}
	end, _, ok := rawjson.ScanString(rest, 1)
	if !ok || string(rest[end:]) != "}}" {
		return 0, "", false
	}
	return index, rawjson.Str(rest[:end]), true
}

var (
	textDeltaHead = []byte(`{"type":"content_block_delta","index":`)
	textDeltaMid  = []byte(`,"delta":{"type":"text_delta","text":`)
)

// text emits a text or argument fragment, holding back a trailing
// incomplete UTF-8 sequence until the next fragment completes it.
func (s *stream) text(blk *block, frag string) {
	s.emit(blk, blk.text.NextText(frag))
}

// flush ends a block. A held-back sequence that no delta completed is a
// single broken character: it becomes one U+FFFD.
func (s *stream) flush(blk *block) {
	s.emit(blk, blk.text.Flush())
}

func (s *stream) emit(blk *block, text string) {
	if text == "" {
		return
	}
	s.start("", "")
	if blk.kind == blockTool {
		s.out = s.chunks.Arguments(s.out, 0, blk.tool, text)
	} else {
		s.out = s.chunks.Content(s.out, 0, text)
	}
}

func (s *stream) flushAll() {
	for i := range s.blocks {
		s.flush(&s.blocks[i])
	}
}

// deltaKeys are the members of a content_block_delta's delta the stream
// reads.
var deltaKeys = [...]string{deltaType: "type", deltaText: "text", deltaPartialJSON: "partial_json"}

const (
	deltaType = iota
	deltaText
	deltaPartialJSON
)

// eventKeys are the top-level members of an event that the stream reads:
// the first of each name, the one gjson.Get finds.
var eventKeys = [...]string{
	evType: "type", evIndex: "index", evMessage: "message", evBlock: "content_block",
	evDelta: "delta", evUsage: "usage", evError: "error",
}

const (
	evType = iota
	evIndex
	evMessage
	evBlock
	evDelta
	evUsage
	evError
)

// messageDelta carries the stop reason and cumulative usage; newer API
// versions repeat the input counts there, which then win.
func (s *stream) messageDelta(delta, usage gjson.Result) {
	if r := delta.Get("stop_reason"); r.Type == gjson.String {
		s.stopReason = strings.Clone(r.Str)
	}
	s.counts.update(usage)
	s.finish()
}

func (s *stream) finish() {
	if s.finishSent {
		return
	}
	s.flushAll()
	s.finishSent = true
	s.start("", "")
	s.out = s.chunks.Finish(s.out, 0, finishReason(s.stopReason, s.sawForced && s.tools == 0))
}

func (s *stream) messageStop() {
	s.finish()
	if s.includeUsage {
		s.out = s.chunks.UsageWithoutReasoning(s.out, s.counts.usage())
	}
	s.out = oaiwire.AppendDone(s.out)
	s.done = true
}
