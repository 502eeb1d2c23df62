package bedrock

import (
	"math"
	"strconv"

	"github.com/tidwall/gjson"

	"github.com/sluice-gw/sluice/pkg/gwerror"
)

// chatParams holds the OpenAI request fields the translation reads. A null
// value counts as absent, which is how most SDKs send unset fields.
type chatParams struct {
	messages, tools, toolChoice, responseFormat gjson.Result
	temperature, topP, maxTokens, stop          gjson.Result
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
	case "max_completion_tokens":
		return integer(&p.maxTokens, key, v)
	case "max_tokens":
		if p.maxTokens.Exists() {
			return nil // max_completion_tokens wins whatever the key order
		}
		return integer(&p.maxTokens, key, v)
	case "stop":
		p.stop = v
	default:
		return neutral(key, v)
	}
	return nil
}

// neutral accepts parameters only at the value that asks for nothing
// Converse would have to do, and refuses everything else by name: seed,
// penalties, logprobs, reasoning_effort and n > 1 have no Converse field.
func neutral(key string, v gjson.Result) error {
	ok := false
	switch key {
	case "n":
		ok = v.Type == gjson.Number && v.Num == 1
	case "presence_penalty", "frequency_penalty":
		ok = v.Type == gjson.Number && v.Num == 0
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

// isEmptyJSON reports "{}" or "[]" with any inner whitespace.
func isEmptyJSON(raw string) bool {
	if len(raw) < 2 {
		return false
	}
	for i := 1; i < len(raw)-1; i++ {
		switch raw[i] {
		case ' ', '\t', '\n', '\r':
		default:
			return false
		}
	}
	return true
}

func chatBody(body []byte) ([]byte, error) {
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
	out, used, err := appendMessages(out, p.messages)
	if err != nil {
		return nil, err
	}
	if out, err = appendInference(out, &p); err != nil {
		return nil, err
	}
	if out, err = appendToolConfig(out, p.tools, p.toolChoice, used); err != nil {
		return nil, err
	}
	if out, err = appendOutputConfig(out, p.responseFormat); err != nil {
		return nil, err
	}
	return append(out, '}'), nil
}

func appendInference(dst []byte, p *chatParams) ([]byte, error) {
	cfg := make([]byte, 0, 96)
	first := true
	for _, f := range [...]struct {
		key string
		v   gjson.Result
	}{{"maxTokens", p.maxTokens}, {"temperature", p.temperature}, {"topP", p.topP}} {
		if f.v.Exists() {
			cfg = append(appendKey(cfg, &first, f.key), f.v.Raw...)
		}
	}
	if p.stop.Exists() {
		var err error
		if cfg, err = appendStop(appendKey(cfg, &first, "stopSequences"), p.stop); err != nil {
			return nil, err
		}
	}
	if first {
		return dst, nil
	}
	dst = append(append(dst, `,"inferenceConfig":{`...), cfg...)
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

// appendOutputConfig maps json_schema to Converse structured output.
// json_object has no Converse form: a schema-less "any JSON" mode does not
// exist there, so it is refused rather than approximated.
func appendOutputConfig(dst []byte, rf gjson.Result) ([]byte, error) {
	if !rf.Exists() {
		return dst, nil
	}
	switch typ := rf.Get("type").Str; typ {
	case "text":
		return dst, nil
	case "json_schema":
	default:
		return nil, unsupportedValue("response_format.type", strconv.Quote(typ))
	}
	js := rf.Get("json_schema")
	schema := js.Get("schema")
	if !schema.IsObject() {
		return nil, gwerror.Param(gwerror.MissingField, "response_format.json_schema.schema",
			"response_format.json_schema.schema is required")
	}
	dst = append(dst, `,"outputConfig":{"textFormat":{"type":"json_schema","structure":{"jsonSchema":{"schema":`...)
	// Bedrock takes the schema as a JSON document inside a string.
	dst = appendString(dst, string(appendCompact(make([]byte, 0, len(schema.Raw)), schema.Raw)))
	if name := js.Get("name"); name.Type == gjson.String {
		dst = appendString(append(dst, `,"name":`...), name.Str)
	}
	if d := js.Get("description"); d.Type == gjson.String {
		dst = appendString(append(dst, `,"description":`...), d.Str)
	}
	return append(dst, "}}}}"...), nil
}
