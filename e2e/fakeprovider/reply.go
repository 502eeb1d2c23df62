package fakeprovider

import (
	"strings"

	"github.com/tidwall/gjson"
)

// ReplyHeader is the request header that makes a fake answer with text
// taken from the request instead of ReplyText:
//
//   - "echo": the text of the last user message;
//   - "system": the system prompt (OpenAI system or developer messages,
//     Anthropic's system field, Gemini's systemInstruction, Bedrock's
//     system blocks), as a model that leaks its instructions would.
//
// Tests use it to make a model repeat what it was sent: pseudonyms to
// restore, or a canary hidden in the system prompt.
const ReplyHeader = "X-Fake-Reply"

// replyFor is the reply text mode asks for, or "" for ReplyText.
func replyFor(mode string, body []byte) string {
	root := gjson.ParseBytes(body)
	switch strings.ToLower(mode) {
	case "echo":
		return lastUserText(root)
	case "system":
		return systemText(root)
	}
	return ""
}

func lastUserText(root gjson.Result) string {
	var last string
	for _, list := range []string{"messages", "contents"} {
		for _, m := range root.Get(list).Array() {
			if r := m.Get("role").Str; r == "user" {
				last = textOf(m)
			}
		}
	}
	return last
}

func systemText(root gjson.Result) string {
	var parts []string
	for _, m := range root.Get("messages").Array() {
		if r := m.Get("role").Str; r == "system" || r == "developer" {
			parts = append(parts, textOf(m))
		}
	}
	for _, field := range []string{"system", "systemInstruction"} {
		if s := root.Get(field); s.Exists() {
			parts = append(parts, textOf(s))
		}
	}
	return strings.Join(parts, "\n")
}

// textOf joins the text of a message, content block list or string.
func textOf(v gjson.Result) string {
	switch {
	case v.Type == gjson.String:
		return v.Str
	case v.IsArray():
		var b strings.Builder
		for _, p := range v.Array() {
			b.WriteString(textOf(p))
		}
		return b.String()
	case v.Get("content").Exists():
		return textOf(v.Get("content"))
	case v.Get("parts").Exists():
		return textOf(v.Get("parts"))
	case v.Get("text").Exists():
		return v.Get("text").Str
	}
	return ""
}
