package template

import (
	"bytes"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/tidwall/gjson"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/structpb"

	configv1 "github.com/sluice-gw/sluice/api/sluice/config/v1"
)

func compileVar(pv *configv1.PromptVariable, path string) (Variable, error) {
	v := Variable{Name: pv.GetName(), Required: pv.GetRequired(), Description: pv.GetDescription(),
		MaxLength: int(pv.GetMaxLength()), Values: pv.GetValues()}
	if !varRE.MatchString(v.Name) {
		return v, fieldErr(path+".name", "want a letter or '_' then letters, digits or '_', at most 64, got %q", v.Name)
	}
	switch pv.GetType() {
	case "", "string":
		v.Kind = String
	case "number":
		v.Kind = Number
	case "enum":
		v.Kind = Enum
		if len(v.Values) == 0 {
			return v, fieldErr(path+".values", "an enum needs at least one value")
		}
	case "json":
		v.Kind = JSON
	default:
		return v, fieldErr(path+".type", "want string, number, enum or json, got %q", pv.GetType())
	}
	if len(v.Values) > 0 && v.Kind != Enum {
		return v, fieldErr(path+".values", "only an enum has values")
	}
	if pv.GetSchema() != nil && v.Kind != JSON {
		return v, fieldErr(path+".schema", "only a json variable has a schema")
	}
	switch m := pv.GetMaxLength(); {
	case m < 0:
		return v, fieldErr(path+".max_length", "must not be negative, got %d", m)
	case m > DefaultMaxLength:
		return v, fieldErr(path+".max_length", "at most %d, got %d", DefaultMaxLength, m)
	case m == 0:
		v.MaxLength = DefaultMaxLength
	}
	if s := pv.GetSchema(); s != nil {
		var err error
		if v.SchemaJSON, v.Schema, err = compileSchema(s, path+".schema"); err != nil {
			return v, err
		}
	}
	if d := pv.GetDefault(); d != nil {
		raw, err := protojson.Marshal(d)
		if err != nil {
			return v, fieldErr(path+".default", "%v", err)
		}
		text, ferr := v.bind(gjson.ParseBytes(compact(raw)), path+".default")
		if ferr != nil {
			return v, ferr
		}
		v.Default, v.HasDefault = text, true
	}
	return v, nil
}

// bind checks one value and returns the text it inserts. param names the
// value in errors.
func (v *Variable) bind(val gjson.Result, param string) (string, *FieldError) {
	switch v.Kind {
	case String, Enum:
		if val.Type != gjson.String {
			return "", fieldErr(param, "must be a string, got %s", typeName(val))
		}
		s := val.Str
		if !utf8.ValidString(s) {
			return "", fieldErr(param, "must be valid UTF-8")
		}
		if v.Kind == Enum && !slices.Contains(v.Values, s) {
			return "", fieldErr(param, "must be one of %q", v.Values)
		}
		if n := utf8.RuneCountInString(s); n > v.MaxLength {
			return "", fieldErr(param, "is %d characters; the maximum is %d", n, v.MaxLength)
		}
		return s, nil
	case Number:
		if val.Type != gjson.Number {
			return "", fieldErr(param, "must be a number, got %s", typeName(val))
		}
		if len(val.Raw) > v.MaxLength {
			return "", fieldErr(param, "is %d characters; the maximum is %d", len(val.Raw), v.MaxLength)
		}
		// Written as the client sent it: no float rounding of 0.1 or
		// of integers beyond 2^53.
		return val.Raw, nil
	}
	return v.bindJSON(val, param)
}

func (v *Variable) bindJSON(val gjson.Result, param string) (string, *FieldError) {
	raw := compact([]byte(val.Raw))
	if len(raw) > v.MaxLength {
		return "", fieldErr(param, "is %d bytes of JSON; the maximum is %d", len(raw), v.MaxLength)
	}
	if !utf8.Valid(raw) {
		return "", fieldErr(param, "must be valid UTF-8")
	}
	if v.Schema != nil {
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		if err != nil {
			return "", fieldErr(param, "is not valid JSON")
		}
		if err := v.Schema.Validate(doc); err != nil {
			return "", fieldErr(param, "does not match its schema: %s", schemaMessage(err))
		}
	}
	return string(raw), nil
}

// schemaMessage is the validator's first-line explanation, without the
// internal schema URL.
func schemaMessage(err error) string {
	var ve *jsonschema.ValidationError
	if errors.As(err, &ve) {
		if leaves := ve.BasicOutput().Errors; len(leaves) > 0 {
			for _, l := range leaves {
				if l.Error != nil {
					msg := l.Error.String()
					if l.InstanceLocation != "" {
						msg = "at " + l.InstanceLocation + ": " + msg
					}
					return msg
				}
			}
		}
	}
	return "invalid value"
}

func typeName(v gjson.Result) string {
	switch v.Type {
	case gjson.String:
		return "a string"
	case gjson.Number:
		return "a number"
	case gjson.True, gjson.False:
		return "a boolean"
	case gjson.Null:
		return "null"
	}
	if v.IsArray() {
		return "an array"
	}
	return "an object"
}

// compact drops insignificant whitespace; the input is valid JSON.
func compact(raw []byte) []byte {
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return raw
	}
	return b.Bytes()
}

func sortedKeys(m map[string]*structpb.Value) []string {
	return slices.Sorted(maps.Keys(m))
}
