package fakeprovider

import (
	"net/http"

	"github.com/tidwall/gjson"
)

// AnthropicKey is the key the Anthropic fake expects in x-api-key.
const AnthropicKey = "test-anthropic-key"

// Anthropic fakes the Messages API: POST /v1/messages with
// `x-api-key: test-anthropic-key` and an `anthropic-version` header.
// Like the real API it rejects unknown top-level fields, so OpenAI
// parameters leaking through translation fail loudly.
func Anthropic(opts ...Option) *Fake { return newFake(anthropic{}, opts) }

type anthropic struct{}

func (anthropic) name() string          { return "anthropic" }
func (anthropic) credentials() []string { return []string{"X-Api-Key"} }

func (anthropic) authenticate(r *http.Request, _ []byte) *apiError {
	switch key := r.Header.Get("X-Api-Key"); {
	case key == "":
		return errorf(errAuth, "x-api-key header is required")
	case key != AnthropicKey:
		return errorf(errAuth, "invalid x-api-key")
	}
	return nil
}

// anthropicFields are the top-level request fields the fake accepts.
var anthropicFields = setOf("model", "messages", "max_tokens", "system", "metadata", "stop_sequences",
	"stream", "temperature", "top_p", "top_k", "tools", "tool_choice", "thinking", "service_tier",
	"container", "mcp_servers", "context_management")

func (anthropic) parse(r *http.Request, body []byte) (*call, *apiError) {
	if r.Method != http.MethodPost || r.URL.Path != "/v1/messages" {
		return nil, errorf(errNotFound, "Not Found")
	}
	if r.Header.Get("Anthropic-Version") == "" {
		return nil, errorf(errInvalid, "anthropic-version: header is required")
	}
	if !gjson.ValidBytes(body) {
		return nil, errorf(errInvalid, "There was an issue with your request body: invalid JSON")
	}
	root := gjson.ParseBytes(body)
	if f := unknownField(root, anthropicFields); f != "" {
		return nil, errorf(errInvalid, "%s: Extra inputs are not permitted", f)
	}
	c := &call{model: root.Get("model").String(), stream: root.Get("stream").Bool()}
	if c.model == "" {
		return nil, errorf(errInvalid, "model: Field required")
	}
	if mt := root.Get("max_tokens"); mt.Type != gjson.Number || mt.Int() < 1 {
		return nil, errorf(errInvalid, "max_tokens: Field required")
	}
	if e := checkAnthropicMessages(root.Get("messages")); e != nil {
		return nil, e
	}
	if sys := root.Get("system"); sys.Exists() && sys.Type != gjson.String && !sys.IsArray() {
		return nil, errorf(errInvalid, "system: Input should be a valid string or list")
	}
	return c, anthropicTool(root, c)
}

func checkAnthropicMessages(msgs gjson.Result) *apiError {
	if !msgs.IsArray() || len(msgs.Array()) == 0 {
		return errorf(errInvalid, "messages: Field required")
	}
	for i, m := range msgs.Array() {
		if role := m.Get("role").String(); role != "user" && role != "assistant" {
			return errorf(errInvalid, "messages.%d.role: Input should be 'user' or 'assistant'", i)
		}
		content := m.Get("content")
		if content.Type == gjson.String {
			continue
		}
		if !content.IsArray() {
			return errorf(errInvalid, "messages.%d.content: Input should be a valid list", i)
		}
		for j, b := range content.Array() {
			if b.Get("type").String() == "" {
				return errorf(errInvalid, "messages.%d.content.%d.type: Field required", i, j)
			}
		}
	}
	return nil
}

// anthropicTool sets c.tool unless tools are absent, tool_choice is
// "none", or the last message answers a tool call.
func anthropicTool(root gjson.Result, c *call) *apiError {
	tools := root.Get("tools").Array()
	for i, t := range tools {
		custom := !t.Get("type").Exists() || t.Get("type").String() == "custom"
		if t.Get("name").String() == "" || (custom && !t.Get("input_schema").IsObject()) {
			return errorf(errInvalid, "tools.%d.input_schema: Field required", i)
		}
	}
	answered := lastOf(root.Get("messages")).Get(`content.#(type=="tool_result")`).Exists()
	if len(tools) == 0 || answered || root.Get("tool_choice.type").String() == "none" {
		return nil
	}
	c.tool = tools[0].Get("name").String()
	if name := root.Get("tool_choice.name").String(); name != "" {
		c.tool = name
	}
	return nil
}

func (anthropic) errorBody(e *apiError) (http.Header, []byte) {
	h := http.Header{"Request-Id": {"req_fake_1"}}
	return h, mustJSON(obj{"type": "error", "error": anthropicError(e), "request_id": "req_fake_1"})
}

func anthropicError(e *apiError) obj {
	typ := map[errKind]string{
		errInvalid: "invalid_request_error", errAuth: "authentication_error", errPermission: "permission_error",
		errNotFound: "not_found_error", errRateLimit: "rate_limit_error", errServer: "api_error",
		errUnavailable: "overloaded_error", errOverloaded: "overloaded_error",
	}[e.kind]
	return obj{"type": typ, "message": e.message}
}

func anthropicUsage(output int) obj {
	return obj{
		"input_tokens":                InputTokens - CachedTokens - CacheWriteTokens,
		"cache_creation_input_tokens": CacheWriteTokens,
		"cache_read_input_tokens":     CachedTokens,
		"output_tokens":               output,
		"service_tier":                "standard",
	}
}

// body is the non-streamed message: a text block, then the tool call when
// there is one, as Claude usually answers.
func (anthropic) body(c *call) []byte {
	content := []any{obj{"type": "text", "text": c.text()}}
	stop := "end_turn"
	if c.tool != "" {
		content = append(content, obj{"type": "tool_use", "id": "toolu_fake_1", "name": c.tool, "input": toolInput()})
		stop = "tool_use"
	}
	return mustJSON(obj{
		"id": "msg_fake_1", "type": "message", "role": "assistant", "model": c.model, "content": content,
		"stop_reason": stop, "stop_sequence": nil, "usage": anthropicUsage(OutputTokens),
	})
}

func (anthropic) events(c *call) []event {
	ev := func(name string, data obj) event {
		data["type"] = name
		return event{name: name, data: mustJSON(data)}
	}
	evs := []event{
		ev("message_start", obj{"message": obj{"id": "msg_fake_1", "type": "message", "role": "assistant", "model": c.model,
			"content": []any{}, "stop_reason": nil, "stop_sequence": nil, "usage": anthropicUsage(1)}}),
		ev("content_block_start", obj{"index": 0, "content_block": obj{"type": "text", "text": ""}}),
		ev("ping", obj{}),
	}
	for _, p := range c.textPieces() {
		evs = append(evs, ev("content_block_delta", obj{"index": 0, "delta": obj{"type": "text_delta", "text": p}}))
	}
	evs = append(evs, ev("content_block_stop", obj{"index": 0}))
	stop := "end_turn"
	if c.tool != "" {
		evs = append(evs, ev("content_block_start", obj{"index": 1,
			"content_block": obj{"type": "tool_use", "id": "toolu_fake_1", "name": c.tool, "input": obj{}}}))
		for _, p := range argPieces() {
			evs = append(evs, ev("content_block_delta", obj{"index": 1, "delta": obj{"type": "input_json_delta", "partial_json": p}}))
		}
		evs = append(evs, ev("content_block_stop", obj{"index": 1}))
		stop = "tool_use"
	}
	evs = append(evs,
		ev("message_delta", obj{"delta": obj{"stop_reason": stop, "stop_sequence": nil},
			"usage": obj{"output_tokens": OutputTokens}}),
		ev("message_stop", obj{}))
	return evs
}

func (anthropic) errorEvent() event {
	return event{name: "error", data: mustJSON(obj{"type": "error",
		"error": anthropicError(errorf(errOverloaded, "Overloaded"))})}
}

func (anthropic) encode(dst []byte, ev event) []byte { return appendSSE(dst, ev.name, ev.data, "\n") }
func (anthropic) streamContentType() string          { return "text/event-stream; charset=utf-8" }

// lastOf returns the last element of an array.
func lastOf(list gjson.Result) gjson.Result {
	items := list.Array()
	if len(items) == 0 {
		return gjson.Result{}
	}
	return items[len(items)-1]
}

// setOf builds a set of field names.
func setOf(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// unknownField returns the first top-level field of root not in known.
func unknownField(root gjson.Result, known map[string]bool) string {
	var bad string
	root.ForEach(func(k, _ gjson.Result) bool {
		if !known[k.String()] {
			bad = k.String()
		}
		return bad == ""
	})
	return bad
}
