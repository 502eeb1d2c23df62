package cache

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"

	"github.com/sluice-gw/sluice/pkg/sse"
	"github.com/sluice-gw/sluice/pkg/translate"
	"github.com/sluice-gw/sluice/pkg/translate/rawjson"
)

// Replay turns a stored chat.completion into the chunk stream a streamed
// request would have received: per choice a role chunk, its content,
// refusal and tool calls, and its finish_reason; then the usage chunk when
// the client asked for stream_options.include_usage; then [DONE].
func Replay(body []byte, u translate.Usage, includeUsage bool) []byte {
	r := gjson.ParseBytes(body)
	pre := chunkPrefix(r)
	out := make([]byte, 0, len(body)*2+512)
	r.Get("choices").ForEach(func(_, c gjson.Result) bool {
		out = replayChoice(out, pre, c)
		return true
	})
	if includeUsage {
		usage := []byte(r.Get("usage").Raw)
		if len(usage) == 0 || usage[0] != '{' {
			usage = appendUsage(nil, u)
		}
		ev := append(append([]byte(nil), pre...), `[],"usage":`...)
		ev = append(append(ev, usage...), '}')
		out = sse.AppendData(out, ev)
	}
	return sse.AppendData(out, []byte("[DONE]"))
}

// chunkPrefix is what every chunk starts with, up to the choices' value.
func chunkPrefix(r gjson.Result) []byte {
	p := []byte(`{"id":`)
	p = append(p, orRaw(r.Get("id").Raw, `""`)...)
	p = append(p, `,"object":"chat.completion.chunk","created":`...)
	p = append(p, orRaw(r.Get("created").Raw, "0")...)
	p = append(p, `,"model":`...)
	p = append(p, orRaw(r.Get("model").Raw, `""`)...)
	if f := r.Get("system_fingerprint"); f.Type == gjson.String {
		p = append(p, `,"system_fingerprint":`...)
		p = append(p, f.Raw...)
	}
	return append(p, `,"choices":`...)
}

func replayChoice(out, pre []byte, c gjson.Result) []byte {
	idx := strconv.FormatInt(c.Get("index").Int(), 10)
	m := c.Get("message")
	delta := func(d string, finish string) {
		ev := make([]byte, 0, len(pre)+len(d)+96)
		ev = append(ev, pre...)
		ev = append(ev, `[{"index":`...)
		ev = append(ev, idx...)
		ev = append(ev, `,"delta":`...)
		ev = append(ev, d...)
		ev = append(ev, `,"logprobs":null,"finish_reason":`...)
		ev = append(ev, finish...)
		ev = append(ev, "}]}"...)
		out = sse.AppendData(out, ev)
	}
	delta(`{"role":"assistant","content":""}`, "null")
	if v := m.Get("content"); v.Type == gjson.String && v.Str != "" {
		delta(`{"content":`+v.Raw+`}`, "null")
	}
	if v := m.Get("refusal"); v.Type == gjson.String {
		delta(`{"refusal":`+v.Raw+`}`, "null")
	}
	j := 0
	m.Get("tool_calls").ForEach(func(_, tc gjson.Result) bool {
		var d []byte
		d = append(d, `{"tool_calls":[{"index":`...)
		d = strconv.AppendInt(d, int64(j), 10)
		d = append(d, `,"id":`...)
		d = append(d, orRaw(tc.Get("id").Raw, `""`)...)
		d = append(d, `,"type":"function","function":{"name":`...)
		d = append(d, orRaw(tc.Get("function.name").Raw, `""`)...)
		d = append(d, `,"arguments":`...)
		d = append(d, orRaw(tc.Get("function.arguments").Raw, `""`)...)
		d = append(d, "}}]}"...)
		delta(string(d), "null")
		j++
		return true
	})
	delta("{}", orRaw(c.Get("finish_reason").Raw, `"stop"`))
	return out
}

// Restore gives a stored answer the current request's values back: every
// placeholder (<EMAIL_ADDRESS_1>) in a choice's content, refusal and tool
// call arguments becomes the value this request's client wrote. The stored
// answer was produced from the same pseudonymized request, so its
// placeholders are this request's placeholders; the values differ per
// client and are never stored.
func Restore(body []byte, pseudonyms map[string]string) []byte {
	if len(pseudonyms) == 0 {
		return body
	}
	if bytes.IndexByte(body, '<') < 0 && !bytes.Contains(body, []byte(`\u003c`)) && !bytes.Contains(body, []byte(`\u003C`)) {
		return body // no placeholder, raw or escaped as encoding/json does
	}
	plain, inJSON := replacers(pseudonyms)
	r := gjson.ParseBytes(body)
	out := body
	set := func(path string, v gjson.Result, rp *strings.Replacer) {
		if v.Type != gjson.String || !strings.Contains(v.Str, "<") {
			return
		}
		if s := rp.Replace(v.Str); s != v.Str {
			if b, err := sjson.SetRawBytes(out, path, rawjson.AppendString(nil, s)); err == nil {
				out = b
			}
		}
	}
	for ci, c := range r.Get("choices").Array() {
		base := "choices." + strconv.Itoa(ci) + ".message."
		m := c.Get("message")
		set(base+"content", m.Get("content"), plain)
		set(base+"refusal", m.Get("refusal"), plain)
		for ti, tc := range m.Get("tool_calls").Array() {
			set(base+"tool_calls."+strconv.Itoa(ti)+".function.arguments", tc.Get("function.arguments"), inJSON)
		}
	}
	return out
}

// replacers restore into plain text, and into JSON text (tool call
// arguments), where a value must be escaped for the inside of a string.
func replacers(pseudonyms map[string]string) (plain, inJSON *strings.Replacer) {
	a := make([]string, 0, 2*len(pseudonyms))
	b := make([]string, 0, 2*len(pseudonyms))
	for k, v := range pseudonyms {
		esc := rawjson.AppendString(nil, v)
		a = append(a, k, v)
		b = append(b, k, string(esc[1:len(esc)-1]))
	}
	return strings.NewReplacer(a...), strings.NewReplacer(b...)
}
