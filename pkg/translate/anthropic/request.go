package anthropic

import (
	"strings"

	"github.com/tidwall/gjson"

	"github.com/sluice-gw/sluice/pkg/gwerror"
	"github.com/sluice-gw/sluice/pkg/translate"
	"github.com/sluice-gw/sluice/pkg/translate/oaiwire"
)

// Request builds a Messages API request from an OpenAI chat request.
func (tr *translator) Request(req *translate.Request, t *translate.Target) (*translate.Upstream, error) {
	if req == nil || t == nil {
		return nil, gwerror.New(gwerror.Internal, "anthropic: request or target missing")
	}
	if req.Op != translate.Chat {
		return nil, gwerror.New(gwerror.InvalidRequest, "%s are not supported by provider anthropic", req.Op)
	}
	body, err := buildBody(req.Body, t.Model)
	if err != nil {
		return nil, err
	}
	return &translate.Upstream{
		Method:  "POST",
		Path:    messagesPath(t),
		Body:    body,
		Headers: headers(t),
	}, nil
}

func messagesPath(t *translate.Target) string {
	base := t.BasePath
	if base == "" {
		base = defaultBasePath
	}
	base = strings.TrimRight(base, "/")
	if base != "" && base[0] != '/' {
		base = "/" + base
	}
	return base + "/messages"
}

func headers(t *translate.Target) []translate.Header {
	version := t.APIVersion
	if version == "" {
		version = DefaultVersion
	}
	h := []translate.Header{
		{Key: "content-type", Value: "application/json"},
		{Key: "anthropic-version", Value: version},
	}
	if t.Credential.APIKey != "" {
		h = append(h, translate.Header{Key: "x-api-key", Value: t.Credential.APIKey})
	}
	return h
}

// chatParams holds the parts of an OpenAI chat request the translation
// uses, as views into the parsed body; nothing is decoded into structs.
type chatParams struct {
	model, messages, maxTokens, maxCompletionTokens gjson.Result
	temperature, topP, stop, stream, user, safetyID gjson.Result
	tools, toolChoice, parallelToolCalls            gjson.Result
	responseFormat                                  gjson.Result
}

// unsupported is the 400 for a parameter Anthropic cannot honour.
func unsupported(param string) error {
	return gwerror.Param(gwerror.UnsupportedParam, param, "parameter '%s' is not supported by provider anthropic", param)
}

func (p *chatParams) set(k string, v gjson.Result) error {
	switch k {
	case "model":
		p.model = v
	case "messages":
		p.messages = v
	case "max_tokens":
		p.maxTokens = v
	case "max_completion_tokens":
		p.maxCompletionTokens = v
	case "temperature":
		p.temperature = v
	case "top_p":
		p.topP = v
	case "stop":
		p.stop = v
	case "stream":
		p.stream = v
	case "user":
		p.user = v
	case "safety_identifier":
		p.safetyID = v
	case "tools":
		p.tools = v
	case "tool_choice":
		p.toolChoice = v
	case "parallel_tool_calls":
		p.parallelToolCalls = v
	case "response_format":
		p.responseFormat = v
	case "stream_options", "metadata", "prompt_cache_key":
		// stream_options: the stream translator emits usage itself.
		// metadata only labels stored completions; prompt_cache_key is a
		// routing hint. Neither changes the reply.
	default:
		// Anthropic lacks the parameter: only its neutral value, which
		// SDKs often send explicitly, is accepted.
		if !oaiwire.IsNeutral(k, v) {
			return unsupported(k)
		}
	}
	return nil
}

// buildBody writes the Messages request. Values copied from the client
// keep their raw JSON encoding.
func buildBody(body []byte, model string) ([]byte, error) {
	root, err := oaiwire.ParseBody(body)
	if err != nil {
		return nil, err
	}
	p, err := readParams(root)
	if err != nil {
		return nil, err
	}
	if !p.messages.IsArray() {
		return nil, gwerror.Param(gwerror.MissingField, "messages", "'messages' must be an array")
	}
	if model == "" {
		model = p.model.String()
	}
	b := make([]byte, 0, len(body)+128)
	b = append(b, '{')
	b = str(b, "model", model)
	if b, err = appendMaxTokens(b, p); err != nil {
		return nil, err
	}
	if b, err = appendMessages(b, p.messages); err != nil {
		return nil, err
	}
	if b, err = appendSampling(b, p); err != nil {
		return nil, err
	}
	if b, err = appendTools(b, p); err != nil {
		return nil, err
	}
	return append(b, '}'), nil
}

// readParams reads the request's members. Every member is either used,
// accepted because it has no effect on the reply, or refused: unknown
// parameters are refused too, so none is dropped silently.
//
// The parameters, a kilobyte of gjson results, live on the heap: on the
// stack of the deep call that builds the body they would make the
// request's goroutine grow its stack, which costs more than the allocation.
func readParams(root gjson.Result) (*chatParams, error) {
	p := new(chatParams)
	if err := oaiwire.EachParam(root, p.set); err != nil {
		return nil, err
	}
	return p, nil
}

func appendMaxTokens(b []byte, p *chatParams) ([]byte, error) {
	v, name := p.maxCompletionTokens, "max_completion_tokens"
	if !v.Exists() {
		v, name = p.maxTokens, "max_tokens"
	}
	if !v.Exists() {
		return num(b, "max_tokens", DefaultMaxTokens), nil
	}
	if v.Type != gjson.Number || v.Num < 1 || v.Num != float64(int64(v.Num)) {
		return nil, gwerror.Param(gwerror.InvalidRequest, name, "'%s' must be a positive integer", name)
	}
	return num(b, "max_tokens", v.Int()), nil
}

// appendSampling maps temperature, top_p, stop, stream and the end-user id.
func appendSampling(b []byte, p *chatParams) ([]byte, error) {
	if t := p.temperature; t.Exists() {
		if t.Type != gjson.Number || t.Num < 0 || t.Num > 1 {
			return nil, gwerror.Param(gwerror.InvalidRequest, "temperature",
				"parameter 'temperature' must be between 0 and 1 for provider anthropic")
		}
		b = raw(b, "temperature", t.Raw)
	}
	if p.topP.Exists() {
		b = raw(b, "top_p", p.topP.Raw)
	}
	switch s := p.stop; {
	case s.Type == gjson.String:
		b = append(key(b, "stop_sequences"), '[')
		b = append(append(b, s.Raw...), ']')
	case s.IsArray():
		b = raw(b, "stop_sequences", s.Raw)
	case s.Exists():
		return nil, gwerror.Param(gwerror.InvalidRequest, "stop", "'stop' must be a string or an array of strings")
	}
	if p.stream.Type == gjson.True {
		b = raw(b, "stream", "true")
	}
	user := p.user
	if !user.Exists() {
		user = p.safetyID
	}
	if user.Exists() {
		b = append(key(b, "metadata"), '{')
		b = append(raw(b, "user_id", user.Raw), '}')
	}
	return b, nil
}
