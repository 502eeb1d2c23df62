package gemini

import (
	"strconv"

	"github.com/tidwall/gjson"

	"github.com/sluice-gw/sluice/pkg/gwerror"
)

// contentWriter appends Gemini contents, opening a content only when its
// first part is written (Gemini rejects contents without parts) and merging
// consecutive messages of the same role, which Gemini requires for parallel
// function responses.
type contentWriter struct {
	b    []byte
	role string // role of the open content, "" when none is open
	n    int
}

func (w *contentWriter) part(role string) {
	if w.role == role {
		w.b = append(w.b, ',')
		return
	}
	w.close()
	if w.n > 0 {
		w.b = append(w.b, ',')
	}
	w.b = append(w.b, `{"role":"`...)
	w.b = append(w.b, role...)
	w.b = append(w.b, `","parts":[`...)
	w.role = role
	w.n++
}

func (w *contentWriter) close() {
	if w.role != "" {
		w.b = append(w.b, "]}"...)
		w.role = ""
	}
}

// messageState carries what one message's translation needs from earlier ones.
type messageState struct {
	contents contentWriter
	system   []byte            // systemInstruction parts, comma separated
	names    map[string]string // tool_call id -> function name
}

// appendMessages writes "contents" and, when there are system or developer
// messages, "systemInstruction". Gemini has one system instruction, so
// system messages are gathered from wherever they appear, in order.
func appendMessages(dst []byte, msgs gjson.Result) ([]byte, error) {
	st := messageState{contents: contentWriter{b: append(dst, `"contents":[`...)}}
	var err error
	i := 0
	msgs.ForEach(func(_, m gjson.Result) bool {
		err = st.message(i, m)
		i++
		return err == nil
	})
	if err != nil {
		return nil, err
	}
	if st.contents.n == 0 {
		return nil, gwerror.Param(gwerror.MissingField, "messages",
			"messages must include at least one user, assistant or tool message with content")
	}
	st.contents.close()
	out := append(st.contents.b, ']')
	if len(st.system) > 0 {
		out = append(out, `,"systemInstruction":{"parts":[`...)
		out = append(out, st.system...)
		out = append(out, "]}"...)
	}
	return out, nil
}

func (st *messageState) message(i int, m gjson.Result) error {
	at := "messages[" + strconv.Itoa(i) + "]"
	if !m.IsObject() {
		return invalid(at, "%s must be an object", at)
	}
	for _, k := range [...]string{"function_call", "audio"} {
		if v := m.Get(k); v.Exists() && v.Type != gjson.Null {
			return unsupported(at + "." + k)
		}
	}
	content := m.Get("content")
	switch role := m.Get("role").Str; role {
	case "system", "developer":
		return st.systemText(at, content)
	case "user":
		return st.userParts(at, content)
	case "assistant":
		if err := st.assistantText(at, content); err != nil {
			return err
		}
		return st.toolCalls(at, m.Get("tool_calls"))
	case "tool":
		return st.toolResult(at, m)
	case "function":
		return unsupportedValue(at+".role", `"function" (use tools and role "tool")`)
	default:
		return invalid(at+".role", "%s.role %q is not a chat role", at, role)
	}
}

// eachText calls fn for every text of a string or text-part content.
// refusal parts are an assistant's own text and translate as such.
func eachText(at string, content gjson.Result, fn func(string)) error {
	switch {
	case !content.Exists(), content.Type == gjson.Null:
		return nil
	case content.Type == gjson.String:
		fn(content.Str)
		return nil
	case !content.IsArray():
		return invalid(at+".content", "%s.content must be a string or an array of parts", at)
	}
	var err error
	j := 0
	content.ForEach(func(_, p gjson.Result) bool {
		switch p.Get("type").Str {
		case "text":
			fn(p.Get("text").Str)
		case "refusal":
			fn(p.Get("refusal").Str)
		default:
			err = unsupportedValue(at+".content["+strconv.Itoa(j)+"].type",
				strconv.Quote(p.Get("type").Str)+" in this role")
		}
		j++
		return err == nil
	})
	return err
}

func (st *messageState) systemText(at string, content gjson.Result) error {
	return eachText(at, content, func(s string) {
		if s == "" {
			return
		}
		if len(st.system) > 0 {
			st.system = append(st.system, ',')
		}
		st.system = append(appendString(append(st.system, `{"text":`...), s), '}')
	})
}

func (st *messageState) assistantText(at string, content gjson.Result) error {
	return eachText(at, content, func(s string) { st.textPart("model", s) })
}

func (st *messageState) textPart(role, s string) {
	if s == "" {
		return // Gemini rejects empty parts
	}
	st.contents.part(role)
	st.contents.b = append(appendString(append(st.contents.b, `{"text":`...), s), '}')
}

func (st *messageState) userParts(at string, content gjson.Result) error {
	if content.Type == gjson.String || !content.Exists() || content.Type == gjson.Null {
		st.textPart("user", content.Str)
		return nil
	}
	if !content.IsArray() {
		return invalid(at+".content", "%s.content must be a string or an array of parts", at)
	}
	var err error
	j := 0
	content.ForEach(func(_, p gjson.Result) bool {
		err = st.userPart(at+".content["+strconv.Itoa(j)+"]", p)
		j++
		return err == nil
	})
	return err
}

func (st *messageState) userPart(at string, p gjson.Result) error {
	switch typ := p.Get("type").Str; typ {
	case "text":
		st.textPart("user", p.Get("text").Str)
		return nil
	case "image_url":
		return st.media(at+".image_url.url", p.Get("image_url.url").Str)
	case "input_audio":
		format := p.Get("input_audio.format").Str
		if format != "wav" && format != "mp3" {
			return unsupportedValue(at+".input_audio.format", strconv.Quote(format))
		}
		st.inline("audio/"+format, p.Get("input_audio.data").Str)
		return nil
	case "file":
		if p.Get("file.file_id").Exists() {
			return unsupportedValue(at+".file.file_id", "an OpenAI file id")
		}
		return st.media(at+".file.file_data", p.Get("file.file_data").Str)
	default:
		return unsupportedValue(at+".type", strconv.Quote(typ))
	}
}

// media turns a data: URI into inlineData and an http(s) or gs:// URL into
// fileData. Sluice never fetches URLs itself: Gemini does, so no request
// from the gateway can be steered at internal addresses.
func (st *messageState) media(at, uri string) error {
	if mime, data, ok := parseDataURI(uri); ok {
		st.inline(mime, data)
		return nil
	}
	if !isRemoteURI(uri) {
		return invalid(at, "%s must be a base64 data: URI or an http(s) or gs:// URL", at)
	}
	st.contents.part("user")
	b := append(st.contents.b, `{"fileData":{`...)
	if mime := mimeFromPath(uri); mime != "" {
		b = append(appendString(append(b, `"mimeType":`...), mime), ',')
	}
	b = appendString(append(b, `"fileUri":`...), uri)
	st.contents.b = append(b, "}}"...)
	return nil
}

func (st *messageState) inline(mime, data string) {
	st.contents.part("user")
	b := appendString(append(st.contents.b, `{"inlineData":{"mimeType":`...), mime)
	b = appendString(append(b, `,"data":`...), data)
	st.contents.b = append(b, "}}"...)
}
