package oaiwire

import "github.com/sluice-gw/sluice/pkg/translate/rawjson"

// Objects a reply declares.
const (
	ObjectCompletion = "chat.completion"
	ObjectChunk      = "chat.completion.chunk"
)

// AppendHead opens a completion or chunk object with the members every one
// starts with: {"id":…,"object":…,"created":…,"model":…
func AppendHead(dst []byte, id, object string, created int64, model string) []byte {
	dst = rawjson.AppendString(append(dst, `{"id":`...), id)
	dst = append(append(append(dst, `,"object":"`...), object...), `","created":`...)
	dst = rawjson.AppendInt(dst, created)
	return rawjson.AppendString(append(dst, `,"model":`...), model)
}

// AppendToolCall appends one tool call,
// {"id":…,"type":"function","function":{"name":…,"arguments":…}}, with
// "index" first when index >= 0, as stream deltas carry it. args is the
// arguments' JSON text; it is written as a string.
func AppendToolCall(dst []byte, index int, id, name, args string) []byte {
	dst = rawjson.AppendString(appendToolCallHead(dst, index, id, name), args)
	return append(dst, "}}"...)
}

// AppendToolCallInput is AppendToolCall for a provider that sends a call's
// arguments as a JSON value (Gemini's args, Converse's input): input is
// its raw text, compacted since providers may pretty-print, and "" for
// none, which is written as "{}".
func AppendToolCallInput(dst []byte, index int, id, name, input string) []byte {
	dst = appendToolCallHead(dst, index, id, name)
	if input == "" {
		dst = append(dst, `"{}"`...)
	} else {
		dst = rawjson.AppendCompactString(dst, input)
	}
	return append(dst, "}}"...)
}

// appendToolCallHead appends a tool call up to its arguments' value.
func appendToolCallHead(dst []byte, index int, id, name string) []byte {
	dst = append(dst, '{')
	if index >= 0 {
		dst = append(rawjson.AppendInt(append(dst, `"index":`...), int64(index)), ',')
	}
	dst = rawjson.AppendString(append(dst, `"id":`...), id)
	dst = rawjson.AppendString(append(dst, `,"type":"function","function":{"name":`...), name)
	return append(dst, `,"arguments":`...)
}

// Choice is one element of a chat.completion's choices.
type Choice struct {
	Index int64
	// Text is the assistant message's content; with NullText it is written
	// as null instead.
	Text     string
	NullText bool
	// ToolCalls are AppendToolCall objects, comma separated; nil for none.
	ToolCalls []byte
	// NullRefusal writes "refusal":null in the message, as OpenAI does.
	NullRefusal  bool
	FinishReason string
}

// AppendChoice appends c:
// {"index":…,"message":{"role":"assistant","content":…,"tool_calls":[…]},"logprobs":null,"finish_reason":…}
func AppendChoice(dst []byte, c Choice) []byte {
	dst = rawjson.AppendInt(append(dst, `{"index":`...), c.Index)
	dst = append(dst, `,"message":{"role":"assistant","content":`...)
	if c.NullText {
		dst = append(dst, "null"...)
	} else {
		dst = rawjson.AppendString(dst, c.Text)
	}
	if len(c.ToolCalls) > 0 {
		dst = append(append(append(dst, `,"tool_calls":[`...), c.ToolCalls...), ']')
	}
	if c.NullRefusal {
		dst = append(dst, `,"refusal":null`...)
	}
	dst = append(dst, `},"logprobs":null,"finish_reason":`...)
	return append(rawjson.AppendString(dst, c.FinishReason), '}')
}
