package cache

import (
	"bytes"
	"errors"
	"strconv"

	"github.com/tidwall/gjson"

	"github.com/sluice-gw/sluice/pkg/sse"
	"github.com/sluice-gw/sluice/pkg/translate"
	"github.com/sluice-gw/sluice/pkg/translate/rawjson"
)

// Why a streamed answer is not stored.
var (
	errIncomplete  = errors.New("stream ended before its finish_reason and [DONE]")
	errStreamError = errors.New("stream carried an error event")
	errFiltered    = errors.New("answer was content-filtered")
	errTooLarge    = errors.New("answer exceeds max_entry_bytes")
	errUnsupported = errors.New("stream carries logprobs, which replay does not reproduce")
	errBadChunk    = errors.New("stream chunk is not a chat completion chunk")
)

// assembler rebuilds the chat.completion object a streamed answer adds up
// to, from the OpenAI chunks the client was sent, so that one stored
// answer serves streamed and non-streamed requests alike.
type assembler struct {
	p       sse.Parser
	max     int
	size    int
	head    head
	choices []choice
	done    bool
	err     error
}

// head is the members every chunk repeats, kept raw (valid JSON).
type head struct{ id, created, model, fingerprint string }

type choice struct {
	content, refusal []byte
	hasContent       bool
	hasRefusal       bool
	tools            []tool
	finish           string // raw JSON string
}

type tool struct {
	id, name string // raw JSON strings
	args     []byte
}

func newAssembler(maxBytes int64) *assembler {
	a := &assembler{max: int(min(maxBytes, 1<<30))}
	a.p.MaxEventBytes = a.max
	return a
}

// feed takes the next client-format bytes of the stream.
func (a *assembler) feed(chunk []byte) {
	if a.err != nil {
		return
	}
	if a.size += len(chunk); a.size > a.max {
		a.err = errTooLarge
		return
	}
	if err := a.p.Feed(chunk, a.event); err != nil && a.err == nil {
		a.err = err
	}
}

func (a *assembler) event(ev sse.Event) error {
	data := bytes.TrimSpace(ev.Data)
	switch {
	case len(data) == 0:
		return nil
	case bytes.Equal(data, []byte("[DONE]")):
		a.done = true
		return nil
	case a.done:
		return errBadChunk
	case len(ev.Name) > 0 && string(ev.Name) != "message" || !gjson.ValidBytes(data):
		return errBadChunk
	}
	c := gjson.ParseBytes(data)
	if c.Get("error").Exists() {
		return errStreamError
	}
	if a.head.id == "" {
		a.head = head{id: c.Get("id").Raw, created: c.Get("created").Raw, model: c.Get("model").Raw,
			fingerprint: c.Get("system_fingerprint").Raw}
	}
	var err error
	c.Get("choices").ForEach(func(_, ch gjson.Result) bool {
		err = a.choice(ch)
		return err == nil
	})
	return err
}

func (a *assembler) choice(ch gjson.Result) error {
	i := int(ch.Get("index").Int())
	if i < 0 || i > 127 {
		return errBadChunk
	}
	for len(a.choices) <= i {
		a.choices = append(a.choices, choice{})
	}
	c := &a.choices[i]
	if lp := ch.Get("logprobs"); lp.Exists() && lp.Type != gjson.Null {
		return errUnsupported
	}
	d := ch.Get("delta")
	if v := d.Get("content"); v.Type == gjson.String && v.Str != "" {
		// The role chunk's empty content says nothing: an answer of only
		// tool calls has content null.
		c.content, c.hasContent = append(c.content, v.Str...), true
	}
	if v := d.Get("refusal"); v.Type == gjson.String {
		c.refusal, c.hasRefusal = append(c.refusal, v.Str...), true
	}
	var err error
	d.Get("tool_calls").ForEach(func(_, tc gjson.Result) bool {
		err = c.tool(tc)
		return err == nil
	})
	if f := ch.Get("finish_reason"); f.Type == gjson.String {
		if f.Str == "content_filter" {
			return errFiltered
		}
		c.finish = f.Raw
	}
	return err
}

func (c *choice) tool(tc gjson.Result) error {
	j := int(tc.Get("index").Int())
	if j < 0 || j > 127 {
		return errBadChunk
	}
	for len(c.tools) <= j {
		c.tools = append(c.tools, tool{})
	}
	t := &c.tools[j]
	if v := tc.Get("id"); v.Type == gjson.String && v.Str != "" {
		t.id = v.Raw
	}
	if v := tc.Get("function.name"); v.Type == gjson.String && v.Str != "" {
		t.name = v.Raw
	}
	if v := tc.Get("function.arguments"); v.Type == gjson.String {
		t.args = append(t.args, v.Str...)
	}
	return nil
}

// completion is the chat.completion object the stream added up to, with
// u as its usage; an error says why the stream cannot be stored.
func (a *assembler) completion(u translate.Usage) ([]byte, error) {
	switch {
	case a.err != nil:
		return nil, a.err
	case !a.done || len(a.choices) == 0 || a.head.id == "":
		return nil, errIncomplete
	}
	for i := range a.choices {
		if a.choices[i].finish == "" {
			return nil, errIncomplete
		}
	}
	b := make([]byte, 0, a.size+256)
	b = append(b, `{"id":`...)
	b = append(b, a.head.id...)
	b = append(b, `,"object":"chat.completion","created":`...)
	b = append(b, orRaw(a.head.created, "0")...)
	b = append(b, `,"model":`...)
	b = append(b, orRaw(a.head.model, `""`)...)
	if f := a.head.fingerprint; f != "" && f != "null" {
		b = append(b, `,"system_fingerprint":`...)
		b = append(b, f...)
	}
	b = append(b, `,"choices":[`...)
	for i := range a.choices {
		if i > 0 {
			b = append(b, ',')
		}
		b = a.choices[i].appendJSON(b, i)
	}
	b = append(b, `],"usage":`...)
	b = appendUsage(b, u)
	return append(b, '}'), nil
}

func (c *choice) appendJSON(b []byte, i int) []byte {
	b = append(b, `{"index":`...)
	b = strconv.AppendInt(b, int64(i), 10)
	b = append(b, `,"message":{"role":"assistant","content":`...)
	if c.hasContent || len(c.tools) == 0 && !c.hasRefusal {
		b = rawjson.AppendString(b, string(c.content))
	} else {
		b = append(b, "null"...)
	}
	if c.hasRefusal {
		b = append(b, `,"refusal":`...)
		b = rawjson.AppendString(b, string(c.refusal))
	}
	if len(c.tools) > 0 {
		b = append(b, `,"tool_calls":[`...)
		for j, t := range c.tools {
			if j > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"id":`...)
			b = append(b, orRaw(t.id, `""`)...)
			b = append(b, `,"type":"function","function":{"name":`...)
			b = append(b, orRaw(t.name, `""`)...)
			b = append(b, `,"arguments":`...)
			b = rawjson.AppendString(b, string(t.args))
			b = append(b, "}}"...)
		}
		b = append(b, ']')
	}
	b = append(b, `},"logprobs":null,"finish_reason":`...)
	b = append(b, c.finish...)
	return append(b, '}')
}

// appendUsage writes usage in the chat completion shape.
func appendUsage(b []byte, u translate.Usage) []byte {
	b = append(b, `{"prompt_tokens":`...)
	b = rawjson.AppendInt(b, u.InputTokens)
	b = append(b, `,"completion_tokens":`...)
	b = rawjson.AppendInt(b, u.OutputTokens)
	b = append(b, `,"total_tokens":`...)
	b = rawjson.AppendInt(b, u.InputTokens+u.OutputTokens)
	if u.CachedInputTokens > 0 {
		b = append(b, `,"prompt_tokens_details":{"cached_tokens":`...)
		b = rawjson.AppendInt(b, u.CachedInputTokens)
		b = append(b, '}')
	}
	if u.ReasoningTokens > 0 {
		b = append(b, `,"completion_tokens_details":{"reasoning_tokens":`...)
		b = rawjson.AppendInt(b, u.ReasoningTokens)
		b = append(b, '}')
	}
	return append(b, '}')
}

func orRaw(raw, def string) string {
	if raw == "" {
		return def
	}
	return raw
}

// storable checks a non-streamed chat completion: an object with choices,
// none of them content-filtered.
func storable(body []byte) error {
	if !gjson.ValidBytes(body) {
		return errBadChunk
	}
	r := gjson.ParseBytes(body)
	ch := r.Get("choices")
	if !ch.IsArray() || len(ch.Array()) == 0 {
		return errBadChunk
	}
	var err error
	ch.ForEach(func(_, c gjson.Result) bool {
		switch f := c.Get("finish_reason"); {
		case f.Str == "content_filter":
			err = errFiltered
		case f.Type != gjson.String:
			err = errIncomplete
		}
		return err == nil
	})
	return err
}
