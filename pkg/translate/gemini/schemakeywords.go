package gemini

import "github.com/tidwall/gjson"

var numericKeywords = [...]string{
	"minItems", "maxItems", "minProperties", "maxProperties",
	"minLength", "maxLength", "minimum", "maximum",
}

// keywords are the schema members the conversion reads; any other member
// is dropped.
type keywords struct {
	typ, format, title, desc, nullable, enum, constant  gjson.Result
	props, required, ordering, items, anyOf, allOf, ref gjson.Result
	def, example                                        gjson.Result
	nums                                                [len(numericKeywords)]gjson.Result
}

func (k *keywords) collect(s gjson.Result) {
	s.ForEach(func(key, v gjson.Result) bool {
		switch key.Str {
		case "type":
			k.typ = v
		case "format":
			k.format = v
		case "title":
			k.title = v
		case "description":
			k.desc = v
		case "nullable":
			k.nullable = v
		case "enum":
			k.enum = v
		case "const":
			k.constant = v
		case "properties":
			k.props = v
		case "required":
			k.required = v
		case "propertyOrdering":
			k.ordering = v
		case "items":
			k.items = v
		case "anyOf", "oneOf":
			k.anyOf = v
		case "allOf":
			k.allOf = v
		case "$ref":
			k.ref = v
		case "default":
			k.def = v
		case "example":
			k.example = v
		default:
			for i, name := range numericKeywords {
				if key.Str == name && v.Type == gjson.Number {
					k.nums[i] = v
				}
			}
		}
		return true
	})
}

// keepFormat reports the formats Gemini accepts for a type.
func keepFormat(typ, f string) bool {
	switch typ {
	case "string":
		return f == "enum" || f == "date-time"
	case "integer":
		return f == "int32" || f == "int64"
	case "number":
		return f == "float" || f == "double"
	}
	return false
}

// enumValues returns the enum without null members (Gemini spells an
// optional enum as nullable) and whether there was one.
func enumValues(enum gjson.Result) (raw []byte, hadNull bool) {
	if !enum.IsArray() {
		return nil, false
	}
	raw = append(make([]byte, 0, len(enum.Raw)), '[')
	n := 0
	enum.ForEach(func(_, v gjson.Result) bool {
		if v.Type == gjson.Null {
			hadNull = true
			return true
		}
		if n > 0 {
			raw = append(raw, ',')
		}
		raw = append(raw, v.Raw...)
		n++
		return true
	})
	return append(raw, ']'), hadNull
}

// stringsOnly reports an enum or const made only of strings.
func stringsOnly(k *keywords) bool {
	if k.constant.Exists() && !k.enum.Exists() {
		return k.constant.Type == gjson.String
	}
	if !k.enum.IsArray() {
		return false
	}
	ok := false
	k.enum.ForEach(func(_, v gjson.Result) bool {
		ok = v.Type == gjson.String || v.Type == gjson.Null
		return ok
	})
	return ok
}
