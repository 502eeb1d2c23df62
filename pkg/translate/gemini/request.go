package gemini

import (
	"math"
	"strconv"
	"strings"

	"github.com/tidwall/gjson"

	"github.com/sluice-gw/sluice/pkg/gwerror"
)

// chatParams holds the OpenAI request fields the translation reads. A null
// value counts as absent, which is how most SDKs send unset fields.
type chatParams struct {
	messages, tools, toolChoice, responseFormat        gjson.Result
	temperature, topP, maxTokens, stop, n, seed        gjson.Result
	presencePenalty, frequencyPenalty, reasoningEffort gjson.Result
}

func (p *chatParams) read(root gjson.Result) error {
	var err error
	root.ForEach(func(k, v gjson.Result) bool {
		if v.Type == gjson.Null {
			return true
		}
		err = p.set(k.Str, v)
		return err == nil
	})
	if err != nil {
		return err
	}
	if !p.messages.IsArray() {
		return gwerror.Param(gwerror.MissingField, "messages", "messages must be a non-empty array")
	}
	return nil
}

func (p *chatParams) set(key string, v gjson.Result) error {
	switch key {
	// Fields with no effect on generation: the stream flag and include_usage
	// arrive through translate.Request; user, safety_identifier and metadata
	// are the client's own bookkeeping.
	case "model", "stream", "stream_options", "user", "safety_identifier", "metadata":
	case "messages":
		p.messages = v
	case "tools":
		p.tools = v
	case "tool_choice":
		p.toolChoice = v
	case "response_format":
		p.responseFormat = v
	case "temperature":
		return number(&p.temperature, key, v)
	case "top_p":
		return number(&p.topP, key, v)
	case "presence_penalty":
		return number(&p.presencePenalty, key, v)
	case "frequency_penalty":
		return number(&p.frequencyPenalty, key, v)
	case "max_completion_tokens":
		return integer(&p.maxTokens, key, v)
	case "max_tokens":
		if p.maxTokens.Exists() {
			return nil // max_completion_tokens wins whatever the key order
		}
		return integer(&p.maxTokens, key, v)
	case "n":
		return integer(&p.n, key, v)
	case "seed":
		return integer(&p.seed, key, v)
	case "stop":
		p.stop = v
	case "reasoning_effort":
		p.reasoningEffort = v
	default:
		return neutral(key, v)
	}
	return nil
}

// neutral accepts parameters only at the value that asks for nothing the
// provider would have to do, and refuses everything else by name.
func neutral(key string, v gjson.Result) error {
	ok := false
	switch key {
	case "parallel_tool_calls":
		ok = v.Type == gjson.True
	case "logprobs", "store":
		ok = v.Type == gjson.False
	case "top_logprobs":
		ok = v.Type == gjson.Number && v.Num == 0
	case "logit_bias":
		ok = v.IsObject() && isEmptyJSON(v.Raw)
	case "service_tier":
		ok = v.Str == "auto" || v.Str == "default"
	case "modalities":
		ok = v.IsArray()
		v.ForEach(func(_, m gjson.Result) bool {
			ok = m.Str == "text"
			return ok
		})
	}
	if ok {
		return nil
	}
	return unsupported(key)
}

func number(dst *gjson.Result, key string, v gjson.Result) error {
	if v.Type != gjson.Number {
		return invalid(key, "%s must be a number", key)
	}
	*dst = v
	return nil
}

func integer(dst *gjson.Result, key string, v gjson.Result) error {
	if v.Type != gjson.Number || v.Num != math.Trunc(v.Num) || math.Abs(v.Num) > math.MaxInt32 {
		return invalid(key, "%s must be an integer", key)
	}
	*dst = v
	return nil
}

func (t *translator) chatBody(body []byte, model string) ([]byte, error) {
	if !gjson.ValidBytes(body) {
		return nil, gwerror.New(gwerror.InvalidJSON, "request body is not valid JSON")
	}
	root := gjson.ParseBytes(body)
	if !root.IsObject() {
		return nil, gwerror.New(gwerror.InvalidJSON, "request body must be a JSON object")
	}
	var p chatParams
	if err := p.read(root); err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(body)+256)
	out = append(out, '{')
	out, err := appendMessages(out, p.messages)
	if err != nil {
		return nil, err
	}
	if out, err = appendTools(out, p.tools, p.toolChoice); err != nil {
		return nil, err
	}
	if out, err = appendGenerationConfig(out, &p, model); err != nil {
		return nil, err
	}
	return append(out, '}'), nil
}

func appendGenerationConfig(dst []byte, p *chatParams, model string) ([]byte, error) {
	cfg := make([]byte, 0, 128)
	first := true
	if p.stop.Exists() {
		var err error
		if cfg, err = appendStop(appendKey(cfg, &first, "stopSequences"), p.stop); err != nil {
			return nil, err
		}
	}
	for _, f := range []struct {
		key string
		v   gjson.Result
	}{
		{"candidateCount", p.n}, {"maxOutputTokens", p.maxTokens}, {"temperature", p.temperature},
		{"topP", p.topP}, {"seed", p.seed}, {"presencePenalty", p.presencePenalty},
		{"frequencyPenalty", p.frequencyPenalty},
	} {
		if f.v.Exists() {
			cfg = append(appendKey(cfg, &first, f.key), f.v.Raw...)
		}
	}
	cfg, err := appendResponseFormat(cfg, &first, p.responseFormat)
	if err != nil {
		return nil, err
	}
	if cfg, err = appendThinking(cfg, &first, p.reasoningEffort, model); err != nil {
		return nil, err
	}
	if first {
		return dst, nil
	}
	dst = append(dst, `,"generationConfig":{`...)
	dst = append(dst, cfg...)
	return append(dst, '}'), nil
}

func appendStop(dst []byte, stop gjson.Result) ([]byte, error) {
	switch {
	case stop.Type == gjson.String:
		return append(appendString(append(dst, '['), stop.Str), ']'), nil
	case stop.IsArray():
		dst = append(dst, '[')
		var err error
		stop.ForEach(func(k, v gjson.Result) bool {
			if v.Type != gjson.String {
				err = invalid("stop", "stop must be a string or an array of strings")
				return false
			}
			if k.Int() > 0 {
				dst = append(dst, ',')
			}
			dst = appendString(dst, v.Str)
			return true
		})
		return append(dst, ']'), err
	}
	return nil, invalid("stop", "stop must be a string or an array of strings")
}

func appendResponseFormat(dst []byte, first *bool, rf gjson.Result) ([]byte, error) {
	if !rf.Exists() {
		return dst, nil
	}
	switch typ := rf.Get("type").Str; typ {
	case "text":
		return dst, nil
	case "json_object":
		return appendString(appendKey(dst, first, "responseMimeType"), jsonType), nil
	case "json_schema":
		schema := rf.Get("json_schema.schema")
		if !schema.Exists() {
			return nil, gwerror.Param(gwerror.MissingField, "response_format.json_schema.schema",
				"response_format.json_schema.schema is required")
		}
		dst = appendString(appendKey(dst, first, "responseMimeType"), jsonType)
		return convertSchema(appendKey(dst, first, "responseSchema"), schema, "response_format.json_schema.schema")
	default:
		return nil, unsupportedValue("response_format.type", strconv.Quote(typ))
	}
}

// appendThinking maps reasoning_effort. Gemini 2.x models take a token
// budget; later models take a named level that matches OpenAI's names.
func appendThinking(dst []byte, first *bool, effort gjson.Result, model string) ([]byte, error) {
	if !effort.Exists() {
		return dst, nil
	}
	const param = "reasoning_effort"
	name := strings.TrimPrefix(model, "models/")
	if strings.HasPrefix(name, "gemini-2") || strings.HasPrefix(name, "gemini-1") {
		budget := thinkingBudget(effort.Str)
		if budget == "" {
			return nil, unsupportedValue(param, strconv.Quote(effort.Str))
		}
		dst = append(appendKey(dst, first, "thinkingConfig"), `{"thinkingBudget":`...)
		return append(append(dst, budget...), '}'), nil
	}
	switch effort.Str {
	case "minimal", "low", "medium", "high":
		dst = append(appendKey(dst, first, "thinkingConfig"), `{"thinkingLevel":`...)
		return append(appendString(dst, effort.Str), '}'), nil
	}
	return nil, unsupportedValue(param, strconv.Quote(effort.Str))
}

func thinkingBudget(effort string) string {
	switch effort {
	case "none", "minimal":
		return "0"
	case "low":
		return "1024"
	case "medium":
		return "8192"
	case "high":
		return "24576"
	}
	return ""
}
