package guard

import (
	"context"
	"strconv"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"
)

// body guards a whole (buffered) answer. A blocked choice keeps its place
// with empty content and finish_reason "content_filter", as OpenAI
// reports a filtered completion, with status 200; an Anthropic message
// gets stop_reason "refusal" and no content. Unchanged bodies are returned
// as they came.
func (e *exchange) body(ctx context.Context, body []byte) []byte {
	if !gjson.ValidBytes(body) {
		return body // the route stage has already answered with an error
	}
	if e.anthropic {
		return e.anthropicBody(ctx, body)
	}
	out := body
	for pos, ch := range gjson.GetBytes(body, "choices").Array() {
		p := "choices." + strconv.Itoa(pos) + ".message"
		var why *stopReason
		out, why = e.bodyText(ctx, out, ch.Get("message.content"), p+".content", false)
		for k, tc := range ch.Get("message.tool_calls").Array() {
			if why != nil {
				break
			}
			out, why = e.bodyText(ctx, out, tc.Get("function.arguments"), p+".tool_calls."+strconv.Itoa(k)+".function.arguments", true)
		}
		if why != nil {
			e.noteStop(why)
			out = setAll(out, []edit{
				{path: p + ".content", raw: `""`},
				{path: p + ".tool_calls", del: true},
				{path: "choices." + strconv.Itoa(pos) + ".finish_reason", raw: `"content_filter"`},
			})
		}
	}
	return out
}

// bodyText checks one text of a whole answer and rewrites it in body when
// the client is to see something else.
func (e *exchange) bodyText(ctx context.Context, body []byte, v gjson.Result, path string, inJSON bool) ([]byte, *stopReason) {
	if v.Type != gjson.String {
		return body, nil
	}
	t := &text{inJSON: inJSON}
	rel, why := e.feed(ctx, t, []byte(v.Str), true)
	if why == nil {
		why = e.finish(ctx, t)
	}
	if why != nil || string(rel) == v.Str {
		return body, why
	}
	if out, err := sjson.SetBytes(body, path, string(rel)); err == nil {
		return out, nil
	}
	return body, &stopReason{kind: "body", msg: "The response could not be checked."}
}

func (e *exchange) anthropicBody(ctx context.Context, body []byte) []byte {
	out := body
	var why *stopReason
	for k, block := range gjson.GetBytes(body, "content").Array() {
		p := "content." + strconv.Itoa(k)
		switch block.Get("type").Str {
		case "text":
			out, why = e.bodyText(ctx, out, block.Get("text"), p+".text", false)
		case "tool_use":
			out, why = e.toolInput(ctx, out, block.Get("input"), p+".input")
		}
		if why != nil {
			e.noteStop(why)
			return setAll(out, []edit{{path: "content", raw: "[]"}, {path: "stop_reason", raw: `"refusal"`}})
		}
	}
	return out
}

// toolInput checks a tool_use input, a JSON object, as JSON text.
func (e *exchange) toolInput(ctx context.Context, body []byte, v gjson.Result, path string) ([]byte, *stopReason) {
	if !v.IsObject() {
		return body, nil
	}
	t := &text{inJSON: true}
	rel, why := e.feed(ctx, t, []byte(v.Raw), true)
	if why == nil {
		why = e.finish(ctx, t)
	}
	if why != nil || string(rel) == v.Raw {
		return body, why
	}
	if !gjson.ValidBytes(rel) {
		return body, &stopReason{kind: "body", msg: "The response could not be checked."}
	}
	if out, err := sjson.SetRawBytes(body, path, rel); err == nil {
		return out, nil
	}
	return body, &stopReason{kind: "body", msg: "The response could not be checked."}
}

type edit struct {
	path string
	raw  string
	del  bool
}

func setAll(body []byte, edits []edit) []byte {
	for _, ed := range edits {
		var out []byte
		var err error
		if ed.del {
			out, err = sjson.DeleteBytes(body, ed.path)
		} else {
			out, err = sjson.SetRawBytes(body, ed.path, []byte(ed.raw))
		}
		if err == nil {
			body = out
		}
	}
	return body
}
