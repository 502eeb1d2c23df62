package mockmodel

import (
	"fmt"
	"hash/fnv"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tidwall/gjson"

	"github.com/sluice-gw/sluice/pkg/gwerror"
)

// summaryRunes is how much of the prompt the reply quotes.
const summaryRunes = 60

// chatRequest is what the mock needs from a chat completions body.
type chatRequest struct {
	model        string
	stream       bool
	includeUsage bool
	lastUser     string // text of the last user message
	lastText     string // text of the last message of any role
	afterTool    bool   // the last message is a tool result
	tool         gjson.Result
	toolForced   bool   // tool_choice is "required" or names a function
	format       string // response_format.type
	schema       gjson.Result
	maxTokens    int64
	promptTokens int64
	hash         uint64 // of the body; makes ids deterministic
}

// reply is the mock's answer, shared by the plain and streamed writers.
type reply struct {
	id               string
	created          int64
	text             string
	toolID           string
	toolName         string
	toolArgs         string
	finish           string
	completionTokens int64
}

func chat(w http.ResponseWriter, r *http.Request, body []byte) {
	req, gerr := parseChat(body)
	if gerr != nil {
		writeError(w, gerr)
		return
	}
	rep := req.answer()
	if req.stream {
		streamChat(w, r, req, rep)
		return
	}
	writeJSON(w, http.StatusOK, appendCompletion(make([]byte, 0, 1024), req, rep))
}

func parseChat(body []byte) (*chatRequest, *gwerror.Error) {
	if !gjson.ValidBytes(body) {
		return nil, gwerror.New(gwerror.InvalidJSON, "request body is not valid JSON")
	}
	root := gjson.ParseBytes(body)
	model := root.Get("model")
	if model.Type != gjson.String || model.Str == "" {
		return nil, gwerror.Param(gwerror.MissingField, "model", "you must provide a model parameter")
	}
	h := fnv.New64a()
	_, _ = h.Write(body) // writes to a hash never fail
	req := &chatRequest{model: model.Str, hash: h.Sum64()}
	for _, step := range []func(gjson.Result) *gwerror.Error{req.readMessages, req.readOptions, req.readTools} {
		if err := step(root); err != nil {
			return nil, err
		}
	}
	return req, nil
}

func (req *chatRequest) readMessages(root gjson.Result) *gwerror.Error {
	msgs := root.Get("messages")
	if !msgs.IsArray() || len(msgs.Array()) == 0 {
		return gwerror.Param(gwerror.MissingField, "messages", "'messages' must be a non-empty array")
	}
	var err *gwerror.Error
	i := 0
	msgs.ForEach(func(_, m gjson.Result) bool {
		role := m.Get("role").String()
		switch role {
		case "system", "developer", "user", "assistant", "tool", "function":
		default:
			err = gwerror.Param(gwerror.InvalidRequest, fmt.Sprintf("messages[%d].role", i), "unsupported role %q", role)
			return false
		}
		text := contentText(m.Get("content"))
		req.promptTokens += 3 + estimateTokens(text) + estimateTokens(m.Get("tool_calls").Raw)
		if role == "user" {
			req.lastUser = text
		}
		req.lastText = text
		req.afterTool = role == "tool" || role == "function"
		i++
		return true
	})
	req.promptTokens += 3 // every reply is primed with <|start|>assistant<|message|>
	return err
}

func (req *chatRequest) readOptions(root gjson.Result) *gwerror.Error {
	if s := root.Get("stream"); s.Exists() && s.Type != gjson.True && s.Type != gjson.False {
		return gwerror.Param(gwerror.InvalidRequest, "stream", "'stream' must be a boolean")
	}
	req.stream = root.Get("stream").Bool()
	req.includeUsage = root.Get("stream_options.include_usage").Bool()
	if n := root.Get("n"); n.Exists() && n.Int() != 1 {
		return gwerror.Param(gwerror.UnsupportedParam, "n", "the mock model returns a single choice")
	}
	for _, name := range []string{"max_completion_tokens", "max_tokens"} {
		v := root.Get(name)
		if !v.Exists() || v.Type == gjson.Null {
			continue
		}
		if v.Type != gjson.Number || v.Num < 1 || v.Num != float64(int64(v.Num)) {
			return gwerror.Param(gwerror.InvalidRequest, name, "'%s' must be a positive integer", name)
		}
		req.maxTokens = int64(v.Num)
	}
	rf := root.Get("response_format")
	switch req.format = rf.Get("type").String(); req.format {
	case "", "text", "json_object":
	case "json_schema":
		req.schema = rf.Get("json_schema.schema")
	default:
		return gwerror.Param(gwerror.InvalidRequest, "response_format.type", "unsupported response format %q", req.format)
	}
	return nil
}

func (req *chatRequest) readTools(root gjson.Result) *gwerror.Error {
	tools := root.Get("tools")
	if !tools.Exists() || tools.Type == gjson.Null {
		return nil
	}
	if !tools.IsArray() {
		return gwerror.Param(gwerror.InvalidRequest, "tools", "'tools' must be an array")
	}
	for i, t := range tools.Array() {
		if t.Get("type").String() != "function" || t.Get("function.name").String() == "" {
			return gwerror.Param(gwerror.InvalidRequest, fmt.Sprintf("tools[%d]", i), "each tool needs type \"function\" and a function.name")
		}
	}
	req.promptTokens += estimateTokens(tools.Raw)
	choice := root.Get("tool_choice")
	switch {
	case !choice.Exists(), choice.Type == gjson.Null, choice.Str == "auto":
		req.tool = tools.Get("0.function")
	case choice.Str == "none":
	case choice.Str == "required":
		req.tool, req.toolForced = tools.Get("0.function"), true
	case choice.Get("function.name").Exists():
		name := choice.Get("function.name").String()
		for _, t := range tools.Array() {
			if t.Get("function.name").String() == name {
				req.tool, req.toolForced = t.Get("function"), true
			}
		}
		if !req.tool.Exists() {
			return gwerror.Param(gwerror.InvalidRequest, "tool_choice", "tool_choice names %q, which is not in tools", name)
		}
	default:
		return gwerror.Param(gwerror.InvalidRequest, "tool_choice", "unsupported tool_choice %s", choice.Raw)
	}
	return nil
}

// answer decides the reply. After a tool result the mock answers in text
// unless a tool call is forced, so agent loops in `sluice dev` terminate.
func (req *chatRequest) answer() reply {
	rep := reply{
		id:      fmt.Sprintf("chatcmpl-mock%016x", req.hash),
		created: time.Now().Unix(),
		finish:  "stop",
	}
	if req.tool.Exists() && (!req.afterTool || req.toolForced) {
		rep.toolID = fmt.Sprintf("call_mock%016x", req.hash)
		rep.toolName = req.tool.Get("name").String()
		rep.toolArgs = string(SampleJSON(req.tool.Get("parameters")))
		rep.finish = "tool_calls"
		rep.completionTokens = 3 + estimateTokens(rep.toolName) + estimateTokens(rep.toolArgs)
		return rep
	}
	rep.text = req.replyText()
	if req.format == "" || req.format == "text" {
		rep.text, rep.finish = truncate(rep.text, req.maxTokens)
	}
	rep.completionTokens = estimateTokens(rep.text)
	return rep
}

func (req *chatRequest) replyText() string {
	text := "Mock reply."
	switch {
	case req.afterTool:
		text = "Mock reply to tool result: " + summarize(req.lastText, summaryRunes)
	case strings.TrimSpace(req.lastUser) != "":
		text = "Mock reply to: " + summarize(req.lastUser, summaryRunes)
	}
	switch req.format {
	case "json_object":
		return string(appendString([]byte(`{"reply":`), text)) + "}"
	case "json_schema":
		return string(SampleJSON(req.schema))
	}
	return text
}

// truncate cuts text to about maxTokens, as a real model stops at its
// limit, and reports finish_reason "length" when it cut.
func truncate(text string, maxTokens int64) (string, string) {
	if maxTokens <= 0 || estimateTokens(text) <= maxTokens {
		return text, "stop"
	}
	words := strings.Fields(text)
	for n := len(words) - 1; n > 0; n-- {
		if cut := strings.Join(words[:n], " "); estimateTokens(cut) <= maxTokens {
			return cut, "length"
		}
	}
	return summarize(text, int(maxTokens)), "length"
}

func appendCompletion(b []byte, req *chatRequest, rep reply) []byte {
	b = append(b, `{"id":`...)
	b = appendString(b, rep.id)
	b = append(b, `,"object":"chat.completion","created":`...)
	b = strconv.AppendInt(b, rep.created, 10)
	b = append(b, `,"model":`...)
	b = appendString(b, req.model)
	b = append(b, `,"choices":[{"index":0,"message":{"role":"assistant","content":`...)
	if rep.toolName != "" {
		b = append(b, `null,"refusal":null,"tool_calls":[`...)
		b = appendToolCallFields(append(b, '{'), rep, rep.toolArgs)
		b = append(b, "}]"...)
	} else {
		b = appendString(b, rep.text)
		b = append(b, `,"refusal":null`...)
	}
	b = append(b, `},"logprobs":null,"finish_reason":`...)
	b = appendString(b, rep.finish)
	b = append(b, `}],"usage":`...)
	b = appendUsage(b, req.promptTokens, rep.completionTokens)
	return append(b, `,"system_fingerprint":"fp_mock"}`...)
}

// appendToolCallFields writes the fields of one tool call with the given
// (possibly partial) arguments, shared by messages and the first stream
// delta, which adds an index.
func appendToolCallFields(b []byte, rep reply, args string) []byte {
	b = append(b, `"id":`...)
	b = appendString(b, rep.toolID)
	b = append(b, `,"type":"function","function":{"name":`...)
	b = appendString(b, rep.toolName)
	b = append(b, `,"arguments":`...)
	b = appendString(b, args)
	return append(b, '}')
}

func appendUsage(b []byte, prompt, completion int64) []byte {
	b = append(b, `{"prompt_tokens":`...)
	b = strconv.AppendInt(b, prompt, 10)
	b = append(b, `,"completion_tokens":`...)
	b = strconv.AppendInt(b, completion, 10)
	b = append(b, `,"total_tokens":`...)
	b = strconv.AppendInt(b, prompt+completion, 10)
	b = append(b, `,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0}`...)
	return append(b, `,"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}`...)
}
