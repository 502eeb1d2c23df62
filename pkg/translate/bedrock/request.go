package bedrock

import (
	"strconv"

	"github.com/tidwall/gjson"

	"github.com/sluice-gw/sluice/pkg/gwerror"
	"github.com/sluice-gw/sluice/pkg/translate/oaiwire"
	"github.com/sluice-gw/sluice/pkg/translate/rawjson"
)

// neutralOnly accepts a parameter Converse has no field for (seed,
// penalties, logprobs, reasoning_effort, n > 1, ...) only at the value that
// asks nothing of it, and refuses it by name otherwise.
func neutralOnly(key string, v gjson.Result) error { return oaiwire.NeutralOnly(provider, key, v) }

func chatBody(body []byte) ([]byte, error) {
	root, err := oaiwire.ParseBody(body)
	if err != nil {
		return nil, err
	}
	var p oaiwire.ChatParams
	if err = p.Read(root, neutralOnly); err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(body)+256)
	out = append(out, '{')
	out, used, err := appendMessages(out, p.Messages)
	if err != nil {
		return nil, err
	}
	if out, err = appendInference(out, &p); err != nil {
		return nil, err
	}
	if out, err = appendToolConfig(out, p.Tools, p.ToolChoice, used); err != nil {
		return nil, err
	}
	if out, err = appendOutputConfig(out, p.ResponseFormat); err != nil {
		return nil, err
	}
	return append(out, '}'), nil
}

func appendInference(dst []byte, p *oaiwire.ChatParams) ([]byte, error) {
	cfg := make([]byte, 0, 96)
	first := true
	for _, f := range [...]struct {
		key string
		v   gjson.Result
	}{{"maxTokens", p.MaxTokens}, {"temperature", p.Temperature}, {"topP", p.TopP}} {
		if f.v.Exists() {
			cfg = append(rawjson.AppendKey(cfg, &first, f.key), f.v.Raw...)
		}
	}
	if p.Stop.Exists() {
		var err error
		if cfg, err = oaiwire.AppendStop(rawjson.AppendKey(cfg, &first, "stopSequences"), p.Stop); err != nil {
			return nil, err
		}
	}
	if first {
		return dst, nil
	}
	dst = append(append(dst, `,"inferenceConfig":{`...), cfg...)
	return append(dst, '}'), nil
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
		return nil, oaiwire.UnsupportedValue(provider, "response_format.type", strconv.Quote(typ))
	}
	js := rf.Get("json_schema")
	schema := js.Get("schema")
	if !schema.IsObject() {
		return nil, gwerror.Param(gwerror.MissingField, "response_format.json_schema.schema",
			"response_format.json_schema.schema is required")
	}
	dst = append(dst, `,"outputConfig":{"textFormat":{"type":"json_schema","structure":{"jsonSchema":{"schema":`...)
	// Bedrock takes the schema as a JSON document inside a string.
	dst = rawjson.AppendString(dst, string(rawjson.Compact(make([]byte, 0, len(schema.Raw)), schema.Raw)))
	if name := js.Get("name"); name.Type == gjson.String {
		dst = rawjson.AppendString(append(dst, `,"name":`...), name.Str)
	}
	if d := js.Get("description"); d.Type == gjson.String {
		dst = rawjson.AppendString(append(dst, `,"description":`...), d.Str)
	}
	return append(dst, "}}}}"...), nil
}
