package oaiwire

import (
	"github.com/sluice-gw/sluice/pkg/gwerror"
	"github.com/sluice-gw/sluice/pkg/sse"
	"github.com/sluice-gw/sluice/pkg/translate"
	"github.com/sluice-gw/sluice/pkg/translate/rawjson"
)

// Chunks writes the SSE events of one chat.completion.chunk stream. Every
// chunk repeats the stream's id, created time and model, so Start renders
// them once and each chunk copies them. Each method appends one whole event
// to dst and returns the extended slice.
type Chunks struct {
	prefix []byte // chunk JSON up to and including `"choices":[`
}

// Start fixes the id, created time and model every chunk carries.
func (c *Chunks) Start(id string, created int64, model string) {
	p := AppendHead(make([]byte, 0, 128), id, ObjectChunk, created, model)
	c.prefix = append(p, `,"choices":[`...)
}

// Started reports whether Start has been called.
func (c *Chunks) Started() bool { return c.prefix != nil }

// Begin opens a chunk for choice: the caller appends the delta object,
// then calls End.
func (c *Chunks) Begin(dst []byte, choice int) []byte {
	dst = append(dst, "data: "...)
	dst = append(dst, c.prefix...)
	dst = rawjson.AppendInt(append(dst, `{"index":`...), int64(choice))
	return append(dst, `,"delta":`...)
}

// End closes a chunk with its finish_reason, null when finish is "".
func (c *Chunks) End(dst []byte, finish string) []byte {
	dst = append(dst, `,"logprobs":null,"finish_reason":`...)
	if finish == "" {
		dst = append(dst, "null"...)
	} else {
		dst = rawjson.AppendString(dst, finish)
	}
	return append(dst, "}]}\n\n"...)
}

// Role appends the first chunk of a choice, which carries the assistant role.
func (c *Chunks) Role(dst []byte, choice int) []byte {
	dst = append(c.Begin(dst, choice), `{"role":"assistant","content":""}`...)
	return c.End(dst, "")
}

// Content appends a content delta. An empty text writes nothing.
func (c *Chunks) Content(dst []byte, choice int, text string) []byte {
	if text == "" {
		return dst
	}
	dst = rawjson.AppendString(append(c.Begin(dst, choice), `{"content":`...), text)
	return c.End(append(dst, '}'), "")
}

// ToolCall appends the delta that starts tool call index, with its id,
// name and the arguments known so far (often "").
func (c *Chunks) ToolCall(dst []byte, choice, index int, id, name, args string) []byte {
	dst = AppendToolCall(append(c.Begin(dst, choice), `{"tool_calls":[`...), index, id, name, args)
	return c.End(append(dst, "]}"...), "")
}

// Arguments appends a delta that continues the arguments of tool call
// index. An empty fragment writes nothing.
func (c *Chunks) Arguments(dst []byte, choice, index int, args string) []byte {
	if args == "" {
		return dst
	}
	dst = rawjson.AppendInt(append(c.Begin(dst, choice), `{"tool_calls":[{"index":`...), int64(index))
	dst = rawjson.AppendString(append(dst, `,"function":{"arguments":`...), args)
	return c.End(append(dst, "}}]}"...), "")
}

// Finish appends the chunk that ends choice with reason.
func (c *Chunks) Finish(dst []byte, choice int, reason string) []byte {
	return c.End(append(c.Begin(dst, choice), "{}"...), reason)
}

// Usage appends the usage-only chunk that include_usage asks for:
// "choices":[] and the usage as AppendUsage writes it.
func (c *Chunks) Usage(dst []byte, u translate.Usage, total int64) []byte {
	return append(AppendUsage(c.beginUsage(dst), u, total), "}\n\n"...)
}

// UsageWithoutReasoning is Usage with the usage as
// AppendUsageWithoutReasoning writes it.
func (c *Chunks) UsageWithoutReasoning(dst []byte, u translate.Usage) []byte {
	return append(AppendUsageWithoutReasoning(c.beginUsage(dst), u), "}\n\n"...)
}

func (c *Chunks) beginUsage(dst []byte) []byte {
	dst = append(dst, "data: "...)
	dst = append(dst, c.prefix...)
	return append(dst, "],"...)
}

// AppendDone appends the [DONE] event that ends every stream.
func AppendDone(dst []byte) []byte { return append(dst, sse.Done...) }

// AppendError appends the error event that ends a failed stream, e's body
// in OpenAI's error shape.
func AppendError(dst []byte, e *gwerror.Error) []byte { return sse.AppendData(dst, e.Body()) }

// OutBuffer returns an empty buffer for the client bytes translated from a
// provider chunk of n bytes: last, the buffer of the chunk before, when it
// has the room. (A stream translator's output is only read until its next
// Feed, so one buffer serves a whole stream.) Every OpenAI chunk carries a
// couple of hundred bytes of framing (id, model, choice, delta), so a
// buffer grown from nil would be reallocated several times per event.
// Tiny chunks rarely finish an event, so they get no new buffer until
// output actually appears.
func OutBuffer(last []byte, n int) []byte {
	if n < 64 || cap(last) >= 2*n+256 {
		return last[:0]
	}
	return make([]byte, 0, 2*n+256)
}
