package oaiwire

import (
	"strconv"
	"strings"

	"github.com/tidwall/gjson"

	"github.com/sluice-gw/sluice/pkg/gwerror"
	"github.com/sluice-gw/sluice/pkg/translate"
)

// Role is the role of a chat message, as far as translation cares.
type Role uint8

// The roles of the messages EachMessage passes on.
const (
	RoleSystem    Role = iota + 1 // system and developer
	RoleUser                      // user
	RoleAssistant                 // assistant
	RoleTool                      // tool
)

// Message is one element of a request's messages.
type Message struct {
	At      string // its path, "messages[3]"
	Role    Role
	Content gjson.Result // the content member
	Raw     gjson.Result // the whole message
}

// Handlers receive the parts of a request's messages, in order, from
// WalkMessages. Each is required.
type Handlers struct {
	// Text receives the text of system (and developer), user and assistant
	// messages. Empty text is never passed on: providers reject it.
	Text func(role Role, text string)
	// UserPart receives every part of a user message that is not text
	// (image_url, input_audio, file, ...) with its path.
	UserPart func(at string, part gjson.Result) error
	// ToolCall receives each element of an assistant message's tool_calls
	// with its path and position; its type is "function" or absent.
	ToolCall func(at string, call gjson.Result, i int) error
	// ToolResult receives each tool message.
	ToolResult func(at string, m gjson.Result) error
}

// WalkMessages walks msgs for a provider that keeps its own message list:
// the text of system, user and assistant messages (system text wherever it
// stands), user media parts, assistant tool calls and tool results go to
// h, in order. Anything no provider maps is refused with p's name and the
// exact path (see EachMessage, EachText, EachUserContent, EachToolCall).
func WalkMessages(p translate.Provider, msgs gjson.Result, h *Handlers) error {
	return EachMessage(p, msgs, func(m Message) error {
		text := func(s string) {
			if s != "" {
				h.Text(m.Role, s)
			}
		}
		switch m.Role {
		case RoleUser:
			return EachUserContent(m.At, m.Content, text, h.UserPart)
		case RoleAssistant:
			if err := EachText(p, m.At, m.Content, text); err != nil {
				return err
			}
			return EachToolCall(p, m.At, m.Raw.Get("tool_calls"), h.ToolCall)
		case RoleTool:
			return h.ToolResult(m.At, m.Raw)
		}
		return EachText(p, m.At, m.Content, text)
	})
}

// EachMessage calls fn for every element of msgs, in order, and stops at
// the first error. It refuses, with the provider's name and the exact path,
// what no translator maps: an element that is not an object, the legacy
// function_call and the function role, assistant audio, and unknown roles.
func EachMessage(p translate.Provider, msgs gjson.Result, fn func(Message) error) error {
	var err error
	i := 0
	msgs.ForEach(func(_, m gjson.Result) bool {
		err = eachMessage(p, "messages["+strconv.Itoa(i)+"]", m, fn)
		i++
		return err == nil
	})
	return err
}

func eachMessage(p translate.Provider, at string, m gjson.Result, fn func(Message) error) error {
	if !m.IsObject() {
		return Invalid(at, "%s must be an object", at)
	}
	for _, k := range [...]string{"function_call", "audio"} {
		if v := m.Get(k); v.Exists() && v.Type != gjson.Null {
			return Unsupported(p, at+"."+k)
		}
	}
	msg := Message{At: at, Content: m.Get("content"), Raw: m}
	switch role := m.Get("role").Str; role {
	case "system", "developer":
		msg.Role = RoleSystem
	case "user":
		msg.Role = RoleUser
	case "assistant":
		msg.Role = RoleAssistant
	case "tool":
		msg.Role = RoleTool
	case "function":
		return UnsupportedValue(p, at+".role", `"function" (use tools and role "tool")`)
	default:
		return Invalid(at+".role", "%s.role %q is not a chat role", at, role)
	}
	return fn(msg)
}

// EachText calls fn for every text of content that may only hold text (a
// string, or text parts) in the message at path at. refusal parts are an
// assistant's own text and count as text; other part types are refused.
func EachText(p translate.Provider, at string, content gjson.Result, fn func(string)) error {
	switch {
	case !content.Exists(), content.Type == gjson.Null:
		return nil
	case content.Type == gjson.String:
		fn(content.Str)
		return nil
	case !content.IsArray():
		return Invalid(at+".content", "%s.content must be a string or an array of parts", at)
	}
	var err error
	j := 0
	content.ForEach(func(_, part gjson.Result) bool {
		switch part.Get("type").Str {
		case "text":
			fn(part.Get("text").Str)
		case "refusal":
			fn(part.Get("refusal").Str)
		default:
			err = UnsupportedValue(p, at+".content["+strconv.Itoa(j)+"].type",
				strconv.Quote(part.Get("type").Str)+" in this role")
		}
		j++
		return err == nil
	})
	return err
}

// JoinText is the texts EachText finds, concatenated.
func JoinText(p translate.Provider, at string, content gjson.Result) (string, error) {
	var b strings.Builder
	err := EachText(p, at, content, func(s string) { b.WriteString(s) })
	return b.String(), err
}

// EachUserContent walks a user message's content: text goes to text, and
// every other part (image_url, input_audio, file, ...) to part with its path.
func EachUserContent(at string, content gjson.Result, text func(string), part func(at string, part gjson.Result) error) error {
	if content.Type == gjson.String || !content.Exists() || content.Type == gjson.Null {
		text(content.Str)
		return nil
	}
	if !content.IsArray() {
		return Invalid(at+".content", "%s.content must be a string or an array of parts", at)
	}
	var err error
	j := 0
	content.ForEach(func(_, pt gjson.Result) bool {
		if pt.Get("type").Str == "text" {
			text(pt.Get("text").Str)
		} else {
			err = part(at+".content["+strconv.Itoa(j)+"]", pt)
		}
		j++
		return err == nil
	})
	return err
}

// EachToolCall calls fn for every element of an assistant message's
// tool_calls, with its path and position. A call whose type is neither
// "function" nor absent is refused.
func EachToolCall(p translate.Provider, at string, calls gjson.Result, fn func(at string, call gjson.Result, i int) error) error {
	if !calls.Exists() || calls.Type == gjson.Null {
		return nil
	}
	if !calls.IsArray() {
		return Invalid(at+".tool_calls", "%s.tool_calls must be an array", at)
	}
	var err error
	j := 0
	calls.ForEach(func(_, c gjson.Result) bool {
		cat := at + ".tool_calls[" + strconv.Itoa(j) + "]"
		if typ := c.Get("type").Str; typ != "function" && typ != "" {
			err = UnsupportedValue(p, cat+".type", strconv.Quote(typ))
		} else {
			err = fn(cat, c, j)
		}
		j++
		return err == nil
	})
	return err
}

// ToolCallArguments returns the arguments of the tool call at path at,
// which must be a JSON object; absent or blank arguments are "{}".
func ToolCallArguments(at string, call gjson.Result) (string, error) {
	args := strings.TrimSpace(call.Get("function.arguments").Str)
	if args == "" {
		args = "{}"
	}
	if !gjson.Valid(args) || !gjson.Parse(args).IsObject() {
		return "", Invalid(at+".function.arguments", "%s.function.arguments must be a JSON object", at)
	}
	return args, nil
}

// UnknownToolCall is the 400 for a tool message at path at whose
// tool_call_id matches no tool call of an earlier assistant message.
func UnknownToolCall(at, id string) *gwerror.Error {
	return Invalid(at+".tool_call_id",
		"%s.tool_call_id %q does not match a tool call of an earlier assistant message", at, id)
}

// NoTurns is the 400 for messages with nothing but system text, which
// providers that keep the system prompt apart cannot send.
func NoTurns() *gwerror.Error {
	return gwerror.Param(gwerror.MissingField, "messages",
		"messages must include at least one user, assistant or tool message with content")
}

// MissingMessages is the 400 for a request whose messages is not an array.
func MissingMessages() *gwerror.Error {
	return gwerror.Param(gwerror.MissingField, "messages", "messages must be a non-empty array")
}
