package bedrock

import (
	"strconv"
	"strings"

	"github.com/tidwall/gjson"

	"github.com/sluice-gw/sluice/pkg/gwerror"
)

// messageWriter appends Converse messages, opening a message only when its
// first content block is written (Converse rejects empty content) and
// merging consecutive messages of the same role, since Converse wants the
// roles to alternate and all tool results of a turn in one user message.
type messageWriter struct {
	b    []byte
	role string // role of the open message, "" when none is open
	n    int
}

func (w *messageWriter) block(role string) {
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
	w.b = append(w.b, `","content":[`...)
	w.role = role
	w.n++
}

func (w *messageWriter) close() {
	if w.role != "" {
		w.b = append(w.b, "]}"...)
		w.role = ""
	}
}

type messageState struct {
	msgs   messageWriter
	system []byte            // system content blocks, comma separated
	calls  map[string]string // tool_call id -> function name
	used   []string          // function names used in the history, in order
}

// appendMessages writes "messages" and, when there are system or developer
// messages, "system". It returns the function names the history uses: if
// the request has no tools, Converse still needs them declared.
func appendMessages(dst []byte, msgs gjson.Result) ([]byte, []string, error) {
	st := messageState{msgs: messageWriter{b: append(dst, `"messages":[`...)}}
	var err error
	i := 0
	msgs.ForEach(func(_, m gjson.Result) bool {
		err = st.message("messages["+strconv.Itoa(i)+"]", m)
		i++
		return err == nil
	})
	if err != nil {
		return nil, nil, err
	}
	if st.msgs.n == 0 {
		return nil, nil, gwerror.Param(gwerror.MissingField, "messages",
			"messages must include at least one user, assistant or tool message with content")
	}
	st.msgs.close()
	out := append(st.msgs.b, ']')
	if len(st.system) > 0 {
		out = append(append(append(out, `,"system":[`...), st.system...), ']')
	}
	return out, st.used, nil
}

func (st *messageState) message(at string, m gjson.Result) error {
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
		return eachText(at, content, func(s string) {
			if s != "" {
				if len(st.system) > 0 {
					st.system = append(st.system, ',')
				}
				st.system = append(appendString(append(st.system, `{"text":`...), s), '}')
			}
		})
	case "user":
		return st.userContent(at, content)
	case "assistant":
		if err := eachText(at, content, func(s string) { st.text("assistant", s) }); err != nil {
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

func (st *messageState) text(role, s string) {
	if s == "" {
		return // Converse rejects blank text blocks
	}
	st.msgs.block(role)
	st.msgs.b = append(appendString(append(st.msgs.b, `{"text":`...), s), '}')
}

func (st *messageState) userContent(at string, content gjson.Result) error {
	if content.Type == gjson.String || !content.Exists() || content.Type == gjson.Null {
		st.text("user", content.Str)
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
		st.text("user", p.Get("text").Str)
		return nil
	case "image_url":
		return st.image(at+".image_url.url", p.Get("image_url.url").Str)
	case "file":
		if p.Get("file.file_id").Exists() {
			return unsupportedValue(at+".file.file_id", "an OpenAI file id")
		}
		return st.document(at+".file", p.Get("file"))
	default:
		return unsupportedValue(at+".type", strconv.Quote(typ))
	}
}

// image accepts data: URIs and s3:// locations. Converse cannot fetch
// http(s) URLs, and the gateway does not fetch them on its behalf: that
// would make Sluice an open proxy into whatever network it runs in.
func (st *messageState) image(at, uri string) error {
	if mime, data, ok := parseDataURI(uri); ok {
		format, ok := imageFormat(strings.TrimPrefix(mime, "image/"))
		if !ok || !strings.HasPrefix(mime, "image/") {
			return unsupportedValue(at, "image type "+strconv.Quote(mime))
		}
		st.msgs.block("user")
		b := append(st.msgs.b, `{"image":{"format":"`...)
		b = appendString(append(append(b, format...), `","source":{"bytes":`...), data)
		st.msgs.b = append(b, "}}}"...)
		return nil
	}
	if strings.HasPrefix(uri, "s3://") {
		format, ok := imageFormat(strings.TrimPrefix(strings.ToLower(extension(uri)), "."))
		if !ok {
			return unsupportedValue(at, "an s3:// image without a png, jpeg, gif or webp extension")
		}
		st.msgs.block("user")
		b := append(st.msgs.b, `{"image":{"format":"`...)
		b = appendString(append(append(b, format...), `","source":{"s3Location":{"uri":`...), uri)
		st.msgs.b = append(b, "}}}}"...)
		return nil
	}
	return unsupportedValue(at, "an image URL (only base64 data: URIs and s3:// locations are accepted)")
}

func (st *messageState) document(at string, file gjson.Result) error {
	mime, data, ok := parseDataURI(file.Get("file_data").Str)
	if !ok {
		return invalid(at+".file_data", "%s.file_data must be a base64 data: URI", at)
	}
	format, ok := documentFormat(mime)
	if !ok {
		return unsupportedValue(at+".file_data", "document type "+strconv.Quote(mime))
	}
	st.msgs.block("user")
	b := append(st.msgs.b, `{"document":{"format":"`...)
	b = append(append(b, format...), `","name":`...)
	b = appendString(b, documentName(file.Get("filename").Str, at))
	b = appendString(append(b, `,"source":{"bytes":`...), data)
	st.msgs.b = append(b, "}}}"...)
	return nil
}
