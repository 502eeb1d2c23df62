package guard

import (
	"bytes"
	"context"
	"slices"
	"strconv"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"

	"github.com/sluice-gw/sluice/pkg/sse"
	"github.com/sluice-gw/sluice/pkg/translate/rawjson"
)

var doneData = []byte("[DONE]")

// openaiEvent guards one chat.completion.chunk event.
func (e *exchange) openaiEvent(ctx context.Context, data []byte) {
	if bytes.Equal(data, doneData) {
		e.flushAll(ctx)
		if !e.stopped {
			e.out = append(e.out, sse.Done...)
		}
		return
	}
	choices := gjson.GetBytes(data, "choices")
	if !choices.IsArray() || len(choices.Array()) == 0 {
		e.out = sse.AppendData(e.out, data) // usage, errors: nothing to check
		return
	}
	e.tmpl = append(e.tmpl[:0], data...)
	out, keep := data, false
	var finishing []int
	for pos, ch := range choices.Array() {
		idx := int(ch.Get("index").Int())
		if !slices.Contains(e.choices, idx) {
			e.choices = append(e.choices, idx)
		}
		// A chunk that finishes its choice releases everything held, in
		// order, in its own text.
		fin := ch.Get("finish_reason").Type == gjson.String
		prefix := "choices." + strconv.Itoa(pos) + ".delta"
		delta := ch.Get("delta")
		var ok bool
		if out, ok = e.openaiText(ctx, out, delta.Get("content"), prefix+".content", e.text(idx, -1, false), fin); !ok {
			return
		}
		for k, tc := range delta.Get("tool_calls").Array() {
			t := e.text(idx, int(tc.Get("index").Int()), true)
			path := prefix + ".tool_calls." + strconv.Itoa(k) + ".function.arguments"
			if out, ok = e.openaiText(ctx, out, tc.Get("function.arguments"), path, t, fin); !ok {
				return
			}
		}
		keep = keep || fin || hasOther(delta)
		if fin {
			finishing = append(finishing, idx)
		}
	}
	for _, idx := range finishing {
		if !e.finishChoice(ctx, idx) {
			return
		}
	}
	if keep || !allEmpty(out) {
		e.out = sse.AppendData(e.out, out)
	}
}

// openaiText guards one delta string at path and rewrites the chunk when
// what may be released differs from what arrived. It returns false when
// the stream was stopped.
func (e *exchange) openaiText(ctx context.Context, chunk []byte, v gjson.Result, path string, t *text, final bool) ([]byte, bool) {
	if v.Type != gjson.String {
		return chunk, true
	}
	rel, why := e.feed(ctx, t, []byte(v.Str), final)
	if why != nil {
		e.stop(why)
		return nil, false
	}
	if string(rel) == v.Str {
		return chunk, true
	}
	out, err := sjson.SetBytes(chunk, path, string(rel))
	if err != nil {
		e.stop(&stopReason{kind: "stream", msg: "The response could not be checked."})
		return nil, false
	}
	return out, true
}

// hasOther reports whether a delta carries anything beyond content and
// tool-call arguments: a role, a refusal, a tool call's id or name.
func hasOther(delta gjson.Result) bool {
	other := false
	delta.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "content":
		case "tool_calls":
			v.ForEach(func(_, tc gjson.Result) bool {
				other = other || tc.Get("id").Exists() || tc.Get("function.name").Exists()
				return !other
			})
		default:
			other = v.Type != gjson.Null
		}
		return !other
	})
	return other
}

// allEmpty reports whether every choice of a chunk released no text: such
// a chunk, all of whose text is held back, is not sent.
func allEmpty(chunk []byte) bool {
	empty := true
	gjson.GetBytes(chunk, "choices").ForEach(func(_, ch gjson.Result) bool {
		d := ch.Get("delta")
		if d.Get("content").Str != "" {
			empty = false
		}
		d.Get("tool_calls").ForEach(func(_, tc gjson.Result) bool {
			empty = empty && tc.Get("function.arguments").Str == ""
			return empty
		})
		return empty
	})
	return empty
}

// finishChoice releases what the choice's texts hold, in chunks of their
// own before the chunk that finishes the choice, then runs the checks
// that read the whole answer. It returns false when the stream stopped.
func (e *exchange) finishChoice(ctx context.Context, idx int) bool {
	for _, k := range e.texts {
		if k.choice != idx || k.t.done {
			continue
		}
		rel, why := e.feed(ctx, k.t, nil, true)
		if why == nil {
			why = e.finish(ctx, k.t)
		}
		if why != nil {
			e.stop(why)
			return false
		}
		if len(rel) > 0 {
			e.out = e.chunkWith(e.out, idx, k.tool, string(rel), "")
		}
	}
	e.choices = slices.DeleteFunc(e.choices, func(c int) bool { return c == idx })
	return true
}

// chunkWith appends a chunk like the last one the provider sent, for
// choice idx, carrying text as content (tool < 0) or as tool call tool's
// arguments, or finishing the choice with finish.
func (e *exchange) chunkWith(dst []byte, idx, tool int, text, finish string) []byte {
	c := []byte(`{"index":`)
	c = rawjson.AppendInt(c, int64(idx))
	switch {
	case finish != "":
		c = append(c, `,"delta":{}`...)
	case tool < 0:
		c = rawjson.AppendString(append(c, `,"delta":{"content":`...), text)
		c = append(c, '}')
	default:
		c = rawjson.AppendInt(append(c, `,"delta":{"tool_calls":[{"index":`...), int64(tool))
		c = rawjson.AppendString(append(c, `,"function":{"arguments":`...), text)
		c = append(c, "}}]}"...)
	}
	c = append(c, `,"logprobs":null,"finish_reason":`...)
	if finish == "" {
		c = append(c, "null"...)
	} else {
		c = rawjson.AppendString(c, finish)
	}
	c = append(c, '}')
	tmpl := e.tmpl
	if len(tmpl) == 0 {
		tmpl = []byte(`{"object":"chat.completion.chunk"}`)
	}
	out, err := sjson.SetRawBytes(slices.Clone(tmpl), "choices", append(append([]byte{'['}, c...), ']'))
	if err != nil {
		return dst
	}
	if u := gjson.GetBytes(out, "usage"); u.Exists() {
		out, _ = sjson.SetRawBytes(out, "usage", []byte("null")) // the template's usage is not this chunk's
	}
	return sse.AppendData(dst, out)
}

// openaiStop ends an OpenAI stream: content_filter for every unfinished
// choice, the error event, then [DONE].
func (e *exchange) openaiStop(why *stopReason) {
	for _, idx := range e.choices {
		e.out = e.chunkWith(e.out, idx, -1, "", "content_filter")
	}
	if len(e.choices) == 0 {
		e.out = e.chunkWith(e.out, 0, -1, "", "content_filter")
	}
	e.choices = nil
	e.out = sse.AppendData(e.out, errorFor(why).Body())
	e.out = append(e.out, sse.Done...)
}
