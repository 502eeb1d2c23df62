package telemetry

import (
	"bytes"
	"unicode/utf8"

	"github.com/tidwall/gjson"
)

// maxFinishReasons bounds the finish reasons kept: one per choice, and
// clients rarely ask for more than a few.
const maxFinishReasons = 8

// responseInfo is what a response says about itself, for the span.
type responseInfo struct {
	id, model  string
	finish     []string
	completion []byte // captured text, when content capture is on
}

var (
	dataPrefix   = []byte("data:")
	finishMarker = []byte("finish_reason")
	stopMarker   = []byte("stop_reason")
)

// scan reads a released body: a whole JSON reply, or a piece of an SSE
// stream in the client's format (OpenAI chunks or Anthropic events).
// limit, when positive, is how much completion text to capture.
func (ri *responseInfo) scan(body []byte, stream bool, limit int) {
	if !stream {
		ri.reply(body, limit)
		return
	}
	// Only the first event (id, model), events naming a finish reason
	// and, when capturing, text deltas are worth parsing; everything else
	// is skipped with a byte search.
	if ri.id != "" && limit <= 0 && !bytes.Contains(body, finishMarker) && !bytes.Contains(body, stopMarker) {
		return
	}
	for line := range bytes.Lines(body) {
		data, ok := bytes.CutPrefix(bytes.TrimSpace(line), dataPrefix)
		if !ok {
			continue
		}
		ri.event(bytes.TrimSpace(data), limit)
	}
}

func (ri *responseInfo) reply(body []byte, limit int) {
	r := gjson.GetManyBytes(body, "id", "model", "choices.#.finish_reason", "stop_reason")
	ri.id, ri.model = r[0].String(), r[1].String()
	r[2].ForEach(func(_, v gjson.Result) bool { ri.addFinish(v); return true })
	ri.addFinish(r[3])
	if limit > 0 {
		// Each path is a scan of the body: the completion's only when
		// content is captured.
		c := gjson.GetManyBytes(body, "choices.0.message.content", "content.#(type==\"text\").text")
		ri.add(c[0].String(), limit)
		ri.add(c[1].String(), limit)
	}
}

func (ri *responseInfo) event(data []byte, limit int) {
	if !gjson.ValidBytes(data) {
		return // [DONE], or a piece of an event split across chunks
	}
	if ri.id == "" {
		r := gjson.GetManyBytes(data, "id", "model", "message.id", "message.model")
		ri.id, ri.model = first(r[0], r[2]), first(r[1], r[3])
	}
	if bytes.Contains(data, finishMarker) {
		gjson.GetBytes(data, "choices.#.finish_reason").ForEach(func(_, v gjson.Result) bool { ri.addFinish(v); return true })
	}
	if bytes.Contains(data, stopMarker) {
		ri.addFinish(gjson.GetBytes(data, "delta.stop_reason"))
	}
	if limit > 0 {
		r := gjson.GetManyBytes(data, "choices.0.delta.content", "delta.text")
		ri.add(r[0].String(), limit)
		ri.add(r[1].String(), limit)
	}
}

func first(a, b gjson.Result) string {
	if a.Type == gjson.String {
		return a.Str
	}
	return b.String()
}

func (ri *responseInfo) addFinish(v gjson.Result) {
	if v.Type == gjson.String && v.Str != "" && len(ri.finish) < maxFinishReasons {
		ri.finish = append(ri.finish, v.Str)
	}
}

// add appends text to the captured completion up to limit bytes, never
// splitting a character.
func (ri *responseInfo) add(text string, limit int) {
	room := limit - len(ri.completion)
	if text == "" || room <= 0 {
		return
	}
	if len(text) > room {
		text = text[:room]
		for len(text) > 0 && !utf8.ValidString(text) {
			text = text[:len(text)-1]
		}
	}
	ri.completion = append(ri.completion, text...)
}
