package guard

import (
	"context"
	"slices"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"

	"github.com/sluice-gw/sluice/pkg/sse"
	"github.com/sluice-gw/sluice/pkg/translate/rawjson"
)

// anthropicEvent guards one Messages API stream event. Text and tool input
// arrive as content_block_delta events; everything else passes through.
func (e *exchange) anthropicEvent(ctx context.Context, name string, data []byte) {
	root := gjson.ParseBytes(data)
	idx := int(root.Get("index").Int())
	switch root.Get("type").Str {
	case "content_block_start":
		e.open = append(e.open, idx)
	case "content_block_delta":
		e.anthropicDelta(ctx, name, data, root, idx)
		return
	case "content_block_stop":
		if !e.flushBlock(ctx, idx) {
			return
		}
		e.open = slices.DeleteFunc(e.open, func(i int) bool { return i == idx })
	case "message_delta", "message_stop":
		e.flushAll(ctx)
		if e.stopped {
			return
		}
	}
	e.out = sse.AppendEvent(e.out, name, data)
}

func (e *exchange) anthropicDelta(ctx context.Context, name string, data []byte, root gjson.Result, idx int) {
	var field string
	inJSON := false
	switch root.Get("delta.type").Str {
	case "text_delta":
		field = "delta.text"
	case "input_json_delta":
		field, inJSON = "delta.partial_json", true
	default:
		e.out = sse.AppendEvent(e.out, name, data) // thinking and signatures pass
		return
	}
	v := root.Get(field)
	rel, why := e.feed(ctx, e.text(-1, idx, inJSON), []byte(v.Str), false)
	if why != nil {
		e.stop(why)
		return
	}
	if len(rel) == 0 {
		return // all held back
	}
	if string(rel) != v.Str {
		out, err := sjson.SetBytes(data, field, string(rel))
		if err != nil {
			e.stop(&stopReason{kind: "stream", msg: "The response could not be checked."})
			return
		}
		data = out
	}
	e.out = sse.AppendEvent(e.out, name, data)
}

// flushBlock releases what block idx holds in a delta of its own, before
// the block stops, and runs the whole-text checks. It returns false when
// the stream stopped.
func (e *exchange) flushBlock(ctx context.Context, idx int) bool {
	for _, k := range e.texts {
		if k.choice != -1 || k.tool != idx || k.t.done {
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
			e.out = sse.AppendEvent(e.out, "content_block_delta", blockDelta(idx, k.t.inJSON, string(rel)))
		}
	}
	return true
}

func blockDelta(idx int, inJSON bool, text string) []byte {
	b := rawjson.AppendInt([]byte(`{"type":"content_block_delta","index":`), int64(idx))
	if inJSON {
		b = rawjson.AppendString(append(b, `,"delta":{"type":"input_json_delta","partial_json":`...), text)
	} else {
		b = rawjson.AppendString(append(b, `,"delta":{"type":"text_delta","text":`...), text)
	}
	return append(b, "}}"...)
}

// anthropicStop ends a Messages stream the way Anthropic ends one its own
// classifiers stop: the open block stops, the message ends with
// stop_reason "refusal", and an error event says why.
func (e *exchange) anthropicStop(why *stopReason) {
	for _, idx := range e.open {
		b := rawjson.AppendInt([]byte(`{"type":"content_block_stop","index":`), int64(idx))
		e.out = sse.AppendEvent(e.out, "content_block_stop", append(b, '}'))
	}
	e.open = nil
	md := []byte(`{"type":"message_delta","delta":{"stop_reason":"refusal","stop_sequence":null,` +
		`"stop_details":{"type":"refusal","category":null,"explanation":`)
	md = rawjson.AppendString(md, why.msg)
	e.out = sse.AppendEvent(e.out, "message_delta", append(md, `}},"usage":{"output_tokens":0}}`...))
	e.out = sse.AppendEvent(e.out, "error", anthropicError(why))
	e.out = sse.AppendEvent(e.out, "message_stop", []byte(`{"type":"message_stop"}`))
}

// anthropicError is the error in Anthropic's shape.
func anthropicError(why *stopReason) []byte {
	b := []byte(`{"type":"error","error":{"type":"invalid_request_error","message":`)
	b = rawjson.AppendString(b, why.msg)
	return append(b, "}}"...)
}
