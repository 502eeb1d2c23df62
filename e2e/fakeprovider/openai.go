package fakeprovider

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"math"
	"net/http"
	"strings"

	"github.com/tidwall/gjson"
)

// OpenAIKey is the API key the OpenAI fake expects as a bearer token.
const OpenAIKey = "test-openai-key"

// OpenAI fakes api.openai.com: POST /v1/chat/completions and
// /v1/embeddings with `authorization: Bearer test-openai-key`.
func OpenAI(opts ...Option) *Fake { return newFake(openAI{}, opts) }

type openAI struct{}

func (openAI) name() string          { return "openai" }
func (openAI) credentials() []string { return []string{"Authorization"} }

func (openAI) authenticate(r *http.Request, _ []byte) *apiError {
	auth := r.Header.Get("Authorization")
	switch {
	case auth == "":
		return errorf(errAuth, "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).")
	case auth != "Bearer "+OpenAIKey:
		return errorf(errAuth, "Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.").withCode("invalid_api_key")
	}
	return nil
}

func (openAI) parse(r *http.Request, body []byte) (*call, *apiError) {
	if r.Method != http.MethodPost {
		return nil, errorf(errNotFound, "Invalid URL (%s %s)", r.Method, r.URL.Path)
	}
	switch r.URL.Path {
	case "/v1/chat/completions":
		return parseOpenAIChat(body, true)
	case "/v1/embeddings":
		return parseOpenAIEmbeddings(body, true)
	}
	return nil, errorf(errNotFound, "Invalid URL (%s %s)", r.Method, r.URL.Path)
}

func (openAI) errorBody(e *apiError) (http.Header, []byte) { return nil, openAIError(e) }
func (openAI) body(c *call) []byte                         { return openAIBody(c, false) }
func (openAI) events(c *call) []event                      { return openAIEvents(c, false) }
func (openAI) encode(dst []byte, ev event) []byte          { return appendSSE(dst, "", ev.data, "\n") }
func (openAI) streamContentType() string                   { return "text/event-stream; charset=utf-8" }

func (openAI) errorEvent() event {
	return event{data: mustJSON(obj{"error": obj{
		"message": "The server had an error while processing your request. Sorry about that!",
		"type":    "server_error", "param": nil, "code": nil,
	}})}
}

// openAIError renders {"error":{"message","type","param","code"}}.
func openAIError(e *apiError) []byte {
	typ := map[errKind]string{
		errInvalid: "invalid_request_error", errAuth: "invalid_request_error",
		errPermission: "invalid_request_error", errNotFound: "invalid_request_error",
		errRateLimit: "requests", errServer: "server_error",
		errUnavailable: "server_error", errOverloaded: "server_error",
	}[e.kind]
	var code any
	if e.code != "" {
		code = e.code
	} else if e.kind == errRateLimit {
		code = "rate_limit_exceeded"
	}
	return mustJSON(obj{"error": obj{"message": e.message, "type": typ, "param": nil, "code": code}})
}

// parseOpenAIChat checks a chat completions body. needModel is false for
// Azure deployment paths, where the deployment names the model.
func parseOpenAIChat(body []byte, needModel bool) (*call, *apiError) {
	if !gjson.ValidBytes(body) {
		return nil, errorf(errInvalid, "We could not parse the JSON body of your request.")
	}
	root := gjson.ParseBytes(body)
	c := &call{model: root.Get("model").String()}
	if needModel && c.model == "" {
		return nil, errorf(errInvalid, "you must provide a model parameter")
	}
	msgs := root.Get("messages")
	if !msgs.IsArray() || len(msgs.Array()) == 0 {
		return nil, errorf(errInvalid, "[] is too short - 'messages'")
	}
	for i, m := range msgs.Array() {
		switch m.Get("role").String() {
		case "system", "developer", "user", "assistant", "tool", "function":
		default:
			return nil, errorf(errInvalid, "Invalid value: '%s'. Supported values are: 'system', 'assistant', 'user', 'function', 'tool', and 'developer'. (messages[%d].role)", m.Get("role").String(), i)
		}
	}
	if s := root.Get("stream"); s.Exists() && s.Type != gjson.True && s.Type != gjson.False && s.Type != gjson.Null {
		return nil, errorf(errInvalid, "Invalid type for 'stream': expected a boolean.")
	}
	c.stream = root.Get("stream").Bool()
	if root.Get("stream_options").Exists() && !c.stream {
		return nil, errorf(errInvalid, "The 'stream_options' parameter is only allowed when 'stream' is enabled.")
	}
	c.includeUsage = root.Get("stream_options.include_usage").Bool()
	tools := root.Get("tools")
	for i, t := range tools.Array() {
		if t.Get("type").String() != "function" || t.Get("function.name").String() == "" {
			return nil, errorf(errInvalid, "Missing required parameter: 'tools[%d].function.name'.", i)
		}
	}
	last := msgs.Array()[len(msgs.Array())-1]
	if len(tools.Array()) > 0 && root.Get("tool_choice").String() != "none" && last.Get("role").String() != "tool" {
		c.tool = tools.Get("0.function.name").String()
		if name := root.Get("tool_choice.function.name").String(); name != "" {
			c.tool = name
		}
	}
	return c, nil
}

func parseOpenAIEmbeddings(body []byte, needModel bool) (*call, *apiError) {
	if !gjson.ValidBytes(body) {
		return nil, errorf(errInvalid, "We could not parse the JSON body of your request.")
	}
	root := gjson.ParseBytes(body)
	c := &call{embed: true, model: root.Get("model").String(), dims: DefaultDimensions}
	if needModel && c.model == "" {
		return nil, errorf(errInvalid, "you must provide a model parameter")
	}
	input := root.Get("input")
	switch {
	case input.Type == gjson.String && input.Str != "":
		c.inputs = []string{input.Str}
	case input.IsArray() && len(input.Array()) > 0:
		for _, in := range input.Array() {
			if in.Type != gjson.String || in.Str == "" {
				return nil, errorf(errInvalid, "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.")
			}
			c.inputs = append(c.inputs, in.Str)
		}
	default:
		return nil, errorf(errInvalid, "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.")
	}
	if d := root.Get("dimensions"); d.Exists() {
		if d.Int() < 1 {
			return nil, errorf(errInvalid, "Invalid 'dimensions': integer below minimum value.")
		}
		c.dims = int(d.Int())
	}
	switch f := root.Get("encoding_format").String(); f {
	case "", "float":
	case "base64":
		c.base64 = true
	default:
		return nil, errorf(errInvalid, "Invalid value for 'encoding_format': %q.", f)
	}
	return c, nil
}

// openAIUsage is the usage object of chat replies.
func openAIUsage() obj {
	return obj{
		"prompt_tokens": InputTokens, "completion_tokens": OutputTokens, "total_tokens": TotalTokens,
		"prompt_tokens_details":     obj{"cached_tokens": CachedTokens, "audio_tokens": 0},
		"completion_tokens_details": obj{"reasoning_tokens": ReasoningTokens, "audio_tokens": 0, "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0},
	}
}

func openAIToolCall(name string, args string) obj {
	return obj{"id": "call_fake_1", "type": "function", "function": obj{"name": name, "arguments": args}}
}

// openAIBody is the non-streamed reply; azure adds content filter results.
func openAIBody(c *call, azure bool) []byte {
	if c.embed {
		return openAIEmbeddingBody(c)
	}
	msg := obj{"role": "assistant", "content": c.text(), "refusal": nil, "annotations": []any{}}
	finish := "stop"
	if c.tool != "" {
		msg["content"] = nil
		msg["tool_calls"] = []any{openAIToolCall(c.tool, ToolArguments)}
		finish = "tool_calls"
	}
	choice := obj{"index": 0, "message": msg, "logprobs": nil, "finish_reason": finish}
	out := obj{
		"id": "chatcmpl-fake", "object": "chat.completion", "created": Created, "model": c.model,
		"choices": []any{choice}, "usage": openAIUsage(),
		"service_tier": "default", "system_fingerprint": "fp_fake",
	}
	if azure {
		choice["content_filter_results"] = azureFilterResults()
		out["prompt_filter_results"] = []any{obj{"prompt_index": 0, "content_filter_results": azureFilterResults()}}
		delete(out, "service_tier")
	}
	return mustJSON(out)
}

func openAIEmbeddingBody(c *call) []byte {
	data := make([]any, len(c.inputs))
	for i, in := range c.inputs {
		var emb any = Vector(in, c.dims)
		if c.base64 {
			emb = vectorBase64(Vector(in, c.dims))
		}
		data[i] = obj{"object": "embedding", "index": i, "embedding": emb}
	}
	n := EmbeddingTokens * len(c.inputs)
	return mustJSON(obj{"object": "list", "data": data, "model": c.model, "usage": obj{"prompt_tokens": n, "total_tokens": n}})
}

// vectorBase64 is OpenAI's base64 encoding: little-endian float32s.
func vectorBase64(v []float32) string {
	raw := make([]byte, 4*len(v))
	for i, f := range v {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(f))
	}
	return base64.StdEncoding.EncodeToString(raw)
}

// openAIEvents is the streamed reply: role chunk (with the tool call's
// header), deltas, finish chunk, usage chunk if asked for, [DONE].
func openAIEvents(c *call, azure bool) []event {
	chunk := func(delta obj, finish any) event {
		choice := obj{"index": 0, "delta": delta, "logprobs": nil, "finish_reason": finish}
		if azure {
			choice["content_filter_results"] = obj{}
		}
		ch := obj{"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": Created, "model": c.model,
			"system_fingerprint": "fp_fake", "choices": []any{choice}}
		if c.includeUsage {
			ch["usage"] = nil
		}
		if !azure {
			ch["service_tier"] = "default"
			ch["obfuscation"] = "fK2x"
		}
		return event{data: mustJSON(ch)}
	}
	var evs []event
	if azure {
		evs = append(evs, event{data: mustJSON(obj{"choices": []any{}, "created": 0, "id": "", "model": "", "object": "",
			"prompt_filter_results": []any{obj{"prompt_index": 0, "content_filter_results": azureFilterResults()}}})})
	}
	finish := "stop"
	if c.tool != "" {
		head := openAIToolCall(c.tool, "")
		head["index"] = 0
		evs = append(evs, chunk(obj{"role": "assistant", "content": nil, "tool_calls": []any{head}, "refusal": nil}, nil))
		for _, p := range argPieces() {
			evs = append(evs, chunk(obj{"tool_calls": []any{obj{"index": 0, "function": obj{"arguments": p}}}}, nil))
		}
		finish = "tool_calls"
	} else {
		evs = append(evs, chunk(obj{"role": "assistant", "content": "", "refusal": nil}, nil))
		for _, p := range c.textPieces() {
			evs = append(evs, chunk(obj{"content": p}, nil))
		}
	}
	evs = append(evs, chunk(obj{}, finish))
	if c.includeUsage {
		u := event{data: mustJSON(obj{"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": Created,
			"model": c.model, "system_fingerprint": "fp_fake", "choices": []any{}, "usage": openAIUsage()})}
		evs = append(evs, u)
	}
	return append(evs, event{data: []byte("[DONE]")})
}

// appendSSE appends one event; eol is the line ending ("\r\n" for Gemini).
func appendSSE(dst []byte, name string, data []byte, eol string) []byte {
	if name != "" {
		dst = fmt.Appendf(dst, "event: %s%s", name, eol)
	}
	for _, line := range strings.Split(string(data), "\n") {
		dst = fmt.Appendf(dst, "data: %s%s", line, eol)
	}
	return append(dst, eol...)
}
