package template

import (
	"slices"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"

	"github.com/sluice-gw/sluice/pkg/translate/rawjson"
)

// callFields are the members a template call may carry besides the
// parameters in AllowedParams. The model, messages, tools and
// response_format are the template's: a call cannot change them.
var callFields = []string{"variables", "stream", "stream_options", "user"}

// CheckCall rejects a template call's unknown members and a non-boolean
// stream, naming the member.
func CheckCall(call gjson.Result) error {
	var err error
	call.ForEach(func(k, v gjson.Result) bool {
		switch {
		case slices.Contains(callFields, k.Str), slices.Contains(AllowedParams, k.Str):
		default:
			err = fieldErr(k.Str, "is not a field of a template call; send variables, stream, stream_options, user or %v", AllowedParams)
			return false
		}
		if k.Str == "stream" && v.Type != gjson.True && v.Type != gjson.False && v.Type != gjson.Null {
			err = fieldErr("stream", "must be a boolean")
			return false
		}
		return true
	})
	return err
}

// CallBody builds the OpenAI chat completion request of a template call
// (checked with CheckCall): the template's model, messages, default
// parameters and response_format, then the parameters the call overrides.
func (t *Template) CallBody(call gjson.Result, vals Values) []byte {
	b := make([]byte, 0, 256)
	b = append(b, `{"model":`...)
	b = rawjson.AppendString(b, t.Model)
	b = append(b, `,"messages":[`...)
	b = t.AppendMessages(b, vals)
	b = append(b, "]}"...)
	for _, p := range t.Params {
		b, _ = sjson.SetRawBytes(b, p.Name, p.Raw) // names from AllowedParams, values compiled JSON: cannot fail
	}
	if rf := t.ResponseFormatJSON(); rf != nil {
		b, _ = sjson.SetRawBytes(b, "response_format", rf)
	}
	call.ForEach(func(k, v gjson.Result) bool {
		if k.Str != "variables" && v.Type != gjson.Null {
			b, _ = sjson.SetRawBytes(b, k.Str, []byte(v.Raw)) // checked names, valid JSON
		}
		return true
	})
	return b
}

// Merge renders the template into an ordinary chat request body that
// carried it as "prompt": the template's messages come first, then the
// client's; the template's model, parameters and response_format fill in
// only what the client left out; the prompt member is removed.
func (t *Template) Merge(body []byte, root gjson.Result, vals Values) ([]byte, error) {
	msgs := make([]byte, 0, 256)
	msgs = append(msgs, '[')
	msgs = t.AppendMessages(msgs, vals)
	root.Get("messages").ForEach(func(_, m gjson.Result) bool {
		msgs = append(msgs, ',')
		msgs = append(msgs, m.Raw...)
		return true
	})
	msgs = append(msgs, ']')
	out, err := sjson.SetRawBytes(body, "messages", msgs)
	if err != nil {
		return nil, err
	}
	if m := root.Get("model"); (!m.Exists() || m.Str == "") && t.Model != "" {
		if out, err = sjson.SetBytes(out, "model", t.Model); err != nil {
			return nil, err
		}
	}
	for _, p := range t.Params {
		if !root.Get(p.Name).Exists() {
			if out, err = sjson.SetRawBytes(out, p.Name, p.Raw); err != nil {
				return nil, err
			}
		}
	}
	if rf := t.ResponseFormatJSON(); rf != nil && !root.Get("response_format").Exists() {
		if out, err = sjson.SetRawBytes(out, "response_format", rf); err != nil {
			return nil, err
		}
	}
	return sjson.DeleteBytes(out, "prompt")
}
