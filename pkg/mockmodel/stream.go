package mockmodel

import (
	"net/http"
	"strconv"
	"unicode/utf8"

	"github.com/sluice-gw/sluice/pkg/sse"
)

// argPieceBytes is roughly how much of the tool arguments each stream delta
// carries; real models send arguments a few tokens at a time.
const argPieceBytes = 8

// chunker builds chat.completion.chunk events that share one prefix.
type chunker struct {
	head         []byte // everything up to the choices array
	includeUsage bool
}

func newChunker(req *chatRequest, rep reply) chunker {
	h := append(make([]byte, 0, 160), `{"id":`...)
	h = appendString(h, rep.id)
	h = append(h, `,"object":"chat.completion.chunk","created":`...)
	h = strconv.AppendInt(h, rep.created, 10)
	h = append(h, `,"model":`...)
	h = appendString(h, req.model)
	h = append(h, `,"system_fingerprint":"fp_mock","choices":[`...)
	return chunker{head: h, includeUsage: req.includeUsage}
}

// choice appends one event whose single choice carries delta (a JSON object)
// and finish (a JSON string literal or null). The full slice expression
// makes the append copy, so the shared head is never overwritten.
func (c chunker) choice(dst []byte, delta []byte, finish string) []byte {
	data := append(c.head[:len(c.head):len(c.head)], `{"index":0,"delta":`...)
	data = append(data, delta...)
	data = append(data, `,"logprobs":null,"finish_reason":`...)
	data = append(data, finish...)
	data = append(data, "}]"...)
	if c.includeUsage {
		data = append(data, `,"usage":null`...)
	}
	return sse.AppendData(dst, append(data, '}'))
}

// streamChat writes the reply as OpenAI SSE: a role chunk, content or tool
// call deltas, a finish chunk, a usage chunk when asked for, then [DONE].
// Each event is flushed so clients see it as soon as it is written.
func streamChat(w http.ResponseWriter, r *http.Request, req *chatRequest, rep reply) {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	send := func(b []byte) bool {
		if _, err := w.Write(b); err != nil {
			return false
		}
		return rc.Flush() == nil && r.Context().Err() == nil
	}

	c := newChunker(req, rep)
	var buf []byte
	for _, delta := range deltas(rep) {
		if !send(c.choice(buf[:0], delta, "null")) {
			return
		}
	}
	buf = c.choice(buf[:0], []byte("{}"), string(appendString(nil, rep.finish)))
	if req.includeUsage {
		data := append(c.head[:len(c.head):len(c.head)], `],"usage":`...)
		data = appendUsage(data, req.promptTokens, rep.completionTokens)
		buf = sse.AppendData(buf, append(data, '}'))
	}
	send(append(buf, sse.Done...))
}

// deltas returns the JSON delta objects before the finish chunk.
func deltas(rep reply) [][]byte {
	out := [][]byte{[]byte(`{"role":"assistant","content":"","refusal":null}`)}
	if rep.toolName != "" {
		first := appendToolCallFields([]byte(`{"tool_calls":[{"index":0,`), rep, "")
		out = append(out, append(first, "}]}"...))
		for _, piece := range pieces(rep.toolArgs, argPieceBytes) {
			d := appendString([]byte(`{"tool_calls":[{"index":0,"function":{"arguments":`), piece)
			out = append(out, append(d, "}}]}"...))
		}
		return out
	}
	for _, word := range words(rep.text) {
		out = append(out, append(appendString([]byte(`{"content":`), word), '}'))
	}
	return out
}

// words splits text into pieces that each start with their leading space,
// the way tokenizers split English.
func words(text string) []string {
	var out []string
	start := 0
	for i := 1; i < len(text); i++ {
		if text[i] == ' ' && text[i-1] != ' ' {
			out = append(out, text[start:i])
			start = i
		}
	}
	if start < len(text) {
		out = append(out, text[start:])
	}
	return out
}

// pieces cuts s into parts of about n bytes without splitting a rune.
func pieces(s string, n int) []string {
	var out []string
	for len(s) > 0 {
		i := min(n, len(s))
		for i < len(s) && !utf8.RuneStart(s[i]) {
			i++
		}
		out = append(out, s[:i])
		s = s[i:]
	}
	return out
}
