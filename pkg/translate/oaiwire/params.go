package oaiwire

import (
	"math"

	"github.com/tidwall/gjson"

	"github.com/sluice-gw/sluice/pkg/gwerror"
	"github.com/sluice-gw/sluice/pkg/translate"
	"github.com/sluice-gw/sluice/pkg/translate/rawjson"
)

// ParseBody parses a client request body, which must be a JSON object.
// The result aliases body rather than copying it (see rawjson.Parse): a
// request body is never changed in place once read, stages that rewrite
// it build a new one, and translators copy what they keep into the body
// they write, so the copy gjson.ParseBytes makes would only cost a
// body-sized allocation per request.
func ParseBody(body []byte) (gjson.Result, error) {
	if !rawjson.Valid(body) {
		return gjson.Result{}, gwerror.New(gwerror.InvalidJSON, "request body is not valid JSON")
	}
	root := rawjson.Parse(body)
	if !root.IsObject() {
		return gjson.Result{}, gwerror.New(gwerror.InvalidJSON, "request body must be a JSON object")
	}
	return root, nil
}

// EachParam calls set for every top-level member of root (from ParseBody)
// that is not null,
// and stops at the first error. A null counts as absent: it is how most
// SDKs send unset fields.
func EachParam(root gjson.Result, set func(key string, v gjson.Result) error) error {
	var err error
	// root comes from ParseBody, which checked it: its members are
	// crossed, not read a byte at a time as ForEach reads them.
	rawjson.Each(root, func(k string, v gjson.Result) bool {
		if v.Type != gjson.Null {
			err = set(k, v)
		}
		return err == nil
	})
	return err
}

// IsNeutral reports whether v is the value of parameter key that asks
// nothing of the provider: n 1, zero penalties and top_logprobs, logprobs
// and store false, parallel_tool_calls true, an empty logit_bias, the auto
// or default service_tier, text-only modalities. SDKs often send these
// explicitly, so a translator accepts them for a parameter its provider
// lacks and refuses every other value. Other keys are never neutral.
func IsNeutral(key string, v gjson.Result) bool {
	switch key {
	case "n":
		return v.Type == gjson.Number && v.Num == 1
	case "presence_penalty", "frequency_penalty", "top_logprobs":
		return v.Type == gjson.Number && v.Num == 0
	case "logprobs", "store":
		return v.Type == gjson.False
	case "parallel_tool_calls":
		return v.Type == gjson.True
	case "logit_bias":
		return v.IsObject() && rawjson.IsEmpty(v.Raw)
	case "service_tier":
		return v.Str == "auto" || v.Str == "default"
	case "modalities":
		if !v.IsArray() {
			return false
		}
		ok := true
		v.ForEach(func(_, m gjson.Result) bool {
			ok = m.Str == "text"
			return ok
		})
		return ok
	}
	return false
}

// Number stores v in dst if it is a number.
func Number(dst *gjson.Result, key string, v gjson.Result) error {
	if v.Type != gjson.Number {
		return Invalid(key, "%s must be a number", key)
	}
	*dst = v
	return nil
}

// Integer stores v in dst if it is a whole number within int32.
func Integer(dst *gjson.Result, key string, v gjson.Result) error {
	if v.Type != gjson.Number || v.Num != math.Trunc(v.Num) || math.Abs(v.Num) > math.MaxInt32 {
		return Invalid(key, "%s must be an integer", key)
	}
	*dst = v
	return nil
}

// AppendStop appends stop, a string or an array of strings, as a JSON
// array of strings.
func AppendStop(dst []byte, stop gjson.Result) ([]byte, error) {
	switch {
	case stop.Type == gjson.String:
		return append(rawjson.AppendString(append(dst, '['), stop.Str), ']'), nil
	case stop.IsArray():
		dst = append(dst, '[')
		var err error
		stop.ForEach(func(k, v gjson.Result) bool {
			if v.Type != gjson.String {
				err = Invalid("stop", "stop must be a string or an array of strings")
				return false
			}
			if k.Int() > 0 {
				dst = append(dst, ',')
			}
			dst = rawjson.AppendString(dst, v.Str)
			return true
		})
		return append(dst, ']'), err
	}
	return nil, Invalid("stop", "stop must be a string or an array of strings")
}

// Unsupported is the 400 for a parameter provider p cannot honour.
func Unsupported(p translate.Provider, param string) *gwerror.Error {
	return gwerror.Param(gwerror.UnsupportedParam, param,
		"parameter %s is not supported by provider %s", param, p)
}

// UnsupportedValue is the 400 for a value of param that provider p cannot
// honour; why names the value.
func UnsupportedValue(p translate.Provider, param, why string) *gwerror.Error {
	return gwerror.Param(gwerror.UnsupportedParam, param,
		"parameter %s: %s is not supported by provider %s", param, why, p)
}

// Invalid is the 400 for a malformed value of param.
func Invalid(param, format string, args ...any) *gwerror.Error {
	return gwerror.Param(gwerror.InvalidRequest, param, format, args...)
}

// ChatParams are the members of an OpenAI chat request that translators
// for providers of another shape read the same way. A translator embeds
// it and reads the members only it maps itself.
type ChatParams struct {
	Messages, Tools, ToolChoice, ResponseFormat gjson.Result
	Temperature, TopP                           gjson.Result // numbers
	MaxTokens                                   gjson.Result // max_completion_tokens, else max_tokens: an integer
	Stop                                        gjson.Result
}

// Read walks root's members as EachParam does. The members of ChatParams
// are checked and stored; the client's bookkeeping (model, stream and
// stream_options, which arrive through translate.Request, and user,
// safety_identifier and metadata) is skipped; every other member goes to
// other. Messages must be an array.
func (p *ChatParams) Read(root gjson.Result, other func(key string, v gjson.Result) error) error {
	err := EachParam(root, func(key string, v gjson.Result) error {
		switch key {
		case "model", "stream", "stream_options", "user", "safety_identifier", "metadata":
		case "messages":
			p.Messages = v
		case "tools":
			p.Tools = v
		case "tool_choice":
			p.ToolChoice = v
		case "response_format":
			p.ResponseFormat = v
		case "temperature":
			return Number(&p.Temperature, key, v)
		case "top_p":
			return Number(&p.TopP, key, v)
		case "max_completion_tokens":
			return Integer(&p.MaxTokens, key, v)
		case "max_tokens":
			if p.MaxTokens.Exists() {
				return nil // max_completion_tokens wins whatever the key order
			}
			return Integer(&p.MaxTokens, key, v)
		case "stop":
			p.Stop = v
		default:
			return other(key, v)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if !p.Messages.IsArray() {
		return MissingMessages()
	}
	return nil
}

// NeutralOnly accepts parameter key, which provider p has no field for,
// only at its neutral value (IsNeutral), and refuses it by name otherwise.
func NeutralOnly(p translate.Provider, key string, v gjson.Result) error {
	if IsNeutral(key, v) {
		return nil
	}
	return Unsupported(p, key)
}
