package bedrock

import (
	"strconv"
	"strings"

	"github.com/tidwall/gjson"

	"github.com/sluice-gw/sluice/pkg/translate/oaiwire"
	"github.com/sluice-gw/sluice/pkg/translate/rawjson"
)

// messageState carries what one message's translation needs from earlier
// ones. Messages are written as turns: Converse rejects empty content,
// wants the roles to alternate and all tool results of a turn in one user
// message, so consecutive messages of one role are merged.
type messageState struct {
	msgs   rawjson.Turns
	system []byte            // system content blocks, comma separated
	calls  map[string]string // tool_call id -> function name
	used   []string          // function names used in the history, in order
}

// appendMessages writes "messages" and, when there are system or developer
// messages, "system". It returns the function names the history uses: if
// the request has no tools, Converse still needs them declared.
func appendMessages(dst []byte, msgs gjson.Result) ([]byte, []string, error) {
	st := messageState{msgs: rawjson.Turns{B: append(dst, `"messages":[`...), Items: "content"}}
	err := oaiwire.WalkMessages(provider, msgs, &oaiwire.Handlers{
		Text: st.text, UserPart: st.userPart, ToolCall: st.toolCall, ToolResult: st.toolResult,
	})
	if err != nil {
		return nil, nil, err
	}
	if st.msgs.Len() == 0 {
		return nil, nil, oaiwire.NoTurns()
	}
	st.msgs.Close()
	out := append(st.msgs.B, ']')
	if len(st.system) > 0 {
		out = append(append(append(out, `,"system":[`...), st.system...), ']')
	}
	return out, st.used, nil
}

// text writes the text of a system message into the system prompt, and
// that of a user or assistant message as a {"text"} item of its turn.
func (st *messageState) text(role oaiwire.Role, s string) {
	switch role {
	case oaiwire.RoleSystem:
		st.system = rawjson.AppendTextItem(st.system, s)
	case oaiwire.RoleUser:
		st.msgs.Text("user", s)
	default:
		st.msgs.Text("assistant", s)
	}
}

func (st *messageState) userPart(at string, p gjson.Result) error {
	switch typ := p.Get("type").Str; typ {
	case "image_url":
		return st.image(at+".image_url.url", p.Get("image_url.url").Str)
	case "file":
		if p.Get("file.file_id").Exists() {
			return oaiwire.UnsupportedValue(provider, at+".file.file_id", "an OpenAI file id")
		}
		return st.document(at+".file", p.Get("file"))
	default:
		return oaiwire.UnsupportedValue(provider, at+".type", strconv.Quote(typ))
	}
}

// image accepts data: URIs and s3:// locations. Converse cannot fetch
// http(s) URLs, and the gateway does not fetch them on its behalf: that
// would make Sluice an open proxy into whatever network it runs in.
func (st *messageState) image(at, uri string) error {
	if mime, data, ok := oaiwire.ParseDataURI(uri); ok {
		format, ok := imageFormat(strings.TrimPrefix(mime, "image/"))
		if !ok || !strings.HasPrefix(mime, "image/") {
			return oaiwire.UnsupportedValue(provider, at, "image type "+strconv.Quote(mime))
		}
		st.msgs.Item("user")
		b := append(st.msgs.B, `{"image":{"format":"`...)
		b = rawjson.AppendString(append(append(b, format...), `","source":{"bytes":`...), data)
		st.msgs.B = append(b, "}}}"...)
		return nil
	}
	if strings.HasPrefix(uri, "s3://") {
		format, ok := imageFormat(strings.TrimPrefix(strings.ToLower(extension(uri)), "."))
		if !ok {
			return oaiwire.UnsupportedValue(provider, at, "an s3:// image without a png, jpeg, gif or webp extension")
		}
		st.msgs.Item("user")
		b := append(st.msgs.B, `{"image":{"format":"`...)
		b = rawjson.AppendString(append(append(b, format...), `","source":{"s3Location":{"uri":`...), uri)
		st.msgs.B = append(b, "}}}}"...)
		return nil
	}
	return oaiwire.UnsupportedValue(provider, at, "an image URL (only base64 data: URIs and s3:// locations are accepted)")
}

func (st *messageState) document(at string, file gjson.Result) error {
	mime, data, ok := oaiwire.ParseDataURI(file.Get("file_data").Str)
	if !ok {
		return oaiwire.Invalid(at+".file_data", "%s.file_data must be a base64 data: URI", at)
	}
	format, ok := documentFormat(mime)
	if !ok {
		return oaiwire.UnsupportedValue(provider, at+".file_data", "document type "+strconv.Quote(mime))
	}
	st.msgs.Item("user")
	b := append(st.msgs.B, `{"document":{"format":"`...)
	b = append(append(b, format...), `","name":`...)
	b = rawjson.AppendString(b, documentName(file.Get("filename").Str, at))
	b = rawjson.AppendString(append(b, `,"source":{"bytes":`...), data)
	st.msgs.B = append(b, "}}}"...)
	return nil
}
