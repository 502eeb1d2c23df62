package gemini

import (
	"strconv"
	"strings"

	"github.com/tidwall/gjson"

	"github.com/sluice-gw/sluice/pkg/gwerror"
	"github.com/sluice-gw/sluice/pkg/translate/oaiwire"
	"github.com/sluice-gw/sluice/pkg/translate/rawjson"
)

// chatParams holds the OpenAI request fields the translation reads: those
// every translator reads, and the sampling and reasoning knobs Gemini has
// and Converse lacks.
type chatParams struct {
	oaiwire.ChatParams
	n, seed, presencePenalty, frequencyPenalty, reasoningEffort gjson.Result
}

func (p *chatParams) read(root gjson.Result) error { return p.Read(root, p.set) }

func (p *chatParams) set(key string, v gjson.Result) error {
	switch key {
	case "presence_penalty":
		return oaiwire.Number(&p.presencePenalty, key, v)
	case "frequency_penalty":
		return oaiwire.Number(&p.frequencyPenalty, key, v)
	case "n":
		return oaiwire.Integer(&p.n, key, v)
	case "seed":
		return oaiwire.Integer(&p.seed, key, v)
	case "reasoning_effort":
		p.reasoningEffort = v
		return nil
	}
	return oaiwire.NeutralOnly(provider, key, v)
}

func (t *translator) chatBody(body []byte, model string) ([]byte, error) {
	root, err := oaiwire.ParseBody(body)
	if err != nil {
		return nil, err
	}
	var p chatParams
	if err = p.read(root); err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(body)+256)
	out = append(out, '{')
	if out, err = appendMessages(out, p.Messages); err != nil {
		return nil, err
	}
	if out, err = appendTools(out, p.Tools, p.ToolChoice); err != nil {
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
	if p.Stop.Exists() {
		var err error
		if cfg, err = oaiwire.AppendStop(rawjson.AppendKey(cfg, &first, "stopSequences"), p.Stop); err != nil {
			return nil, err
		}
	}
	for _, f := range []struct {
		key string
		v   gjson.Result
	}{
		{"candidateCount", p.n}, {"maxOutputTokens", p.MaxTokens}, {"temperature", p.Temperature},
		{"topP", p.TopP}, {"seed", p.seed}, {"presencePenalty", p.presencePenalty},
		{"frequencyPenalty", p.frequencyPenalty},
	} {
		if f.v.Exists() {
			cfg = append(rawjson.AppendKey(cfg, &first, f.key), f.v.Raw...)
		}
	}
	cfg, err := appendResponseFormat(cfg, &first, p.ResponseFormat)
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

func appendResponseFormat(dst []byte, first *bool, rf gjson.Result) ([]byte, error) {
	if !rf.Exists() {
		return dst, nil
	}
	switch typ := rf.Get("type").Str; typ {
	case "text":
		return dst, nil
	case "json_object":
		return rawjson.AppendString(rawjson.AppendKey(dst, first, "responseMimeType"), jsonType), nil
	case "json_schema":
		schema := rf.Get("json_schema.schema")
		if !schema.Exists() {
			return nil, gwerror.Param(gwerror.MissingField, "response_format.json_schema.schema",
				"response_format.json_schema.schema is required")
		}
		dst = rawjson.AppendString(rawjson.AppendKey(dst, first, "responseMimeType"), jsonType)
		return convertSchema(rawjson.AppendKey(dst, first, "responseSchema"), schema, "response_format.json_schema.schema")
	default:
		return nil, oaiwire.UnsupportedValue(provider, "response_format.type", strconv.Quote(typ))
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
			return nil, oaiwire.UnsupportedValue(provider, param, strconv.Quote(effort.Str))
		}
		dst = append(rawjson.AppendKey(dst, first, "thinkingConfig"), `{"thinkingBudget":`...)
		return append(append(dst, budget...), '}'), nil
	}
	switch effort.Str {
	case "minimal", "low", "medium", "high":
		dst = append(rawjson.AppendKey(dst, first, "thinkingConfig"), `{"thinkingLevel":`...)
		return append(rawjson.AppendString(dst, effort.Str), '}'), nil
	}
	return nil, oaiwire.UnsupportedValue(provider, param, strconv.Quote(effort.Str))
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
