package gemini

import (
	"strconv"

	"github.com/tidwall/gjson"

	"github.com/sluice-gw/sluice/pkg/translate/oaiwire"
	"github.com/sluice-gw/sluice/pkg/translate/rawjson"
)

// messageState carries what one message's translation needs from earlier
// ones. Contents are written as turns: Gemini rejects contents without
// parts and wants parallel function responses in one content, so
// consecutive messages of one role are merged.
type messageState struct {
	contents rawjson.Turns
	system   []byte            // systemInstruction parts, comma separated
	names    map[string]string // tool_call id -> function name
}

// appendMessages writes "contents" and, when there are system or developer
// messages, "systemInstruction". Gemini has one system instruction, so
// system messages are gathered from wherever they appear, in order.
func appendMessages(dst []byte, msgs gjson.Result) ([]byte, error) {
	st := messageState{contents: rawjson.Turns{B: append(dst, `"contents":[`...), Items: "parts"}}
	err := oaiwire.WalkMessages(provider, msgs, &oaiwire.Handlers{
		Text: st.text, UserPart: st.userPart, ToolCall: st.toolCall, ToolResult: st.toolResult,
	})
	if err != nil {
		return nil, err
	}
	if st.contents.Len() == 0 {
		return nil, oaiwire.NoTurns()
	}
	st.contents.Close()
	out := append(st.contents.B, ']')
	if len(st.system) > 0 {
		out = append(out, `,"systemInstruction":{"parts":[`...)
		out = append(out, st.system...)
		out = append(out, "]}"...)
	}
	return out, nil
}

// text writes the text of a system message into the system prompt, and
// that of a user or assistant message as a {"text"} item of its turn.
func (st *messageState) text(role oaiwire.Role, s string) {
	switch role {
	case oaiwire.RoleSystem:
		st.system = rawjson.AppendTextItem(st.system, s)
	case oaiwire.RoleUser:
		st.contents.Text("user", s)
	default:
		st.contents.Text("model", s)
	}
}

func (st *messageState) userPart(at string, p gjson.Result) error {
	switch typ := p.Get("type").Str; typ {
	case "image_url":
		return st.media(at+".image_url.url", p.Get("image_url.url").Str)
	case "input_audio":
		format := p.Get("input_audio.format").Str
		if format != "wav" && format != "mp3" {
			return oaiwire.UnsupportedValue(provider, at+".input_audio.format", strconv.Quote(format))
		}
		st.inline("audio/"+format, p.Get("input_audio.data").Str)
		return nil
	case "file":
		if p.Get("file.file_id").Exists() {
			return oaiwire.UnsupportedValue(provider, at+".file.file_id", "an OpenAI file id")
		}
		return st.media(at+".file.file_data", p.Get("file.file_data").Str)
	default:
		return oaiwire.UnsupportedValue(provider, at+".type", strconv.Quote(typ))
	}
}

// media turns a data: URI into inlineData and an http(s) or gs:// URL into
// fileData. Sluice never fetches URLs itself: Gemini does, so no request
// from the gateway can be steered at internal addresses.
func (st *messageState) media(at, uri string) error {
	if mime, data, ok := oaiwire.ParseDataURI(uri); ok {
		st.inline(mime, data)
		return nil
	}
	if !isRemoteURI(uri) {
		return oaiwire.Invalid(at, "%s must be a base64 data: URI or an http(s) or gs:// URL", at)
	}
	st.contents.Item("user")
	b := append(st.contents.B, `{"fileData":{`...)
	if mime := mimeFromPath(uri); mime != "" {
		b = append(rawjson.AppendString(append(b, `"mimeType":`...), mime), ',')
	}
	b = rawjson.AppendString(append(b, `"fileUri":`...), uri)
	st.contents.B = append(b, "}}"...)
	return nil
}

func (st *messageState) inline(mime, data string) {
	st.contents.Item("user")
	b := rawjson.AppendString(append(st.contents.B, `{"inlineData":{"mimeType":`...), mime)
	b = rawjson.AppendString(append(b, `,"data":`...), data)
	st.contents.B = append(b, "}}"...)
}
