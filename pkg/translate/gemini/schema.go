package gemini

import (
	"strconv"
	"strings"

	"github.com/tidwall/gjson"

	"github.com/sluice-gw/sluice/pkg/translate/oaiwire"
	"github.com/sluice-gw/sluice/pkg/translate/rawjson"
)

// Gemini's Schema is a subset of OpenAPI 3.0, not JSON Schema. The
// conversion keeps every keyword Gemini has, rewrites the JSON Schema forms
// it can express (type arrays with "null", const, oneOf, local $refs,
// single-element allOf) and drops keywords with no Gemini equivalent (see
// README). A recursive $ref cannot be expressed and is refused.
const (
	maxSchemaDepth = 48
	maxSchemaNodes = 5000 // bounds how far $refs may fan out
)

type schemaConv struct {
	root  gjson.Result
	param string
	refs  []string // $refs being expanded, to catch recursion
	nodes int
}

func convertSchema(dst []byte, s gjson.Result, param string) ([]byte, error) {
	c := schemaConv{root: s, param: param}
	return c.node(dst, s, 0)
}

func (c *schemaConv) node(dst []byte, s gjson.Result, depth int) ([]byte, error) {
	c.nodes++
	if depth > maxSchemaDepth || c.nodes > maxSchemaNodes {
		return nil, oaiwire.UnsupportedValue(provider, c.param, "a schema this deep or large")
	}
	if s.Type == gjson.True || s.IsObject() && rawjson.IsEmpty(s.Raw) {
		return append(dst, "{}"...), nil
	}
	if !s.IsObject() {
		return nil, oaiwire.Invalid(c.param, "%s must be a JSON schema object", c.param)
	}
	var k keywords
	k.collect(s)
	if k.ref.Exists() {
		return c.ref(dst, k.ref.Str, depth)
	}
	if k.allOf.Exists() {
		all := k.allOf.Array()
		if len(all) != 1 {
			return nil, oaiwire.UnsupportedValue(provider, c.param, "allOf with more than one schema")
		}
		return c.node(dst, all[0], depth+1)
	}
	return c.object(dst, &k, depth)
}

func (c *schemaConv) object(dst []byte, k *keywords, depth int) ([]byte, error) {
	typ, nullable, err := c.typeOf(k)
	if err != nil {
		return nil, err
	}
	var branches []gjson.Result
	for _, b := range k.anyOf.Array() {
		if b.Get("type").Str == "null" && len(b.Map()) == 1 {
			nullable = true
			continue
		}
		branches = append(branches, b)
	}
	if typ == "" && stringsOnly(k) {
		typ = "string" // Gemini only has string enums, and wants the type said
	}
	dst = append(dst, '{')
	first := true
	if typ != "" {
		dst = rawjson.AppendString(rawjson.AppendKey(dst, &first, "type"), strings.ToUpper(typ))
	}
	if f := k.format.Str; keepFormat(typ, f) {
		dst = rawjson.AppendString(rawjson.AppendKey(dst, &first, "format"), f)
	}
	for _, kv := range [...]struct {
		key string
		v   gjson.Result
	}{{"title", k.title}, {"description", k.desc}} {
		if kv.v.Type == gjson.String {
			dst = rawjson.AppendString(rawjson.AppendKey(dst, &first, kv.key), kv.v.Str)
		}
	}
	enum, enumNull := enumValues(k.enum)
	if nullable || enumNull {
		dst = append(rawjson.AppendKey(dst, &first, "nullable"), "true"...)
	}
	if enum != nil {
		dst = append(rawjson.AppendKey(dst, &first, "enum"), enum...)
	} else if k.constant.Exists() {
		dst = append(append(append(rawjson.AppendKey(dst, &first, "enum"), '['), k.constant.Raw...), ']')
	}
	if dst, err = c.children(dst, &first, k, branches, depth); err != nil {
		return nil, err
	}
	for i, v := range k.nums {
		if v.Exists() {
			dst = append(rawjson.AppendKey(dst, &first, numericKeywords[i]), v.Raw...)
		}
	}
	if k.def.Exists() {
		dst = append(rawjson.AppendKey(dst, &first, "default"), k.def.Raw...)
	}
	if k.example.Exists() {
		dst = append(rawjson.AppendKey(dst, &first, "example"), k.example.Raw...)
	}
	return append(dst, '}'), nil
}

func (c *schemaConv) children(dst []byte, first *bool, k *keywords, branches []gjson.Result, depth int) ([]byte, error) {
	var err error
	if k.props.IsObject() {
		dst = append(rawjson.AppendKey(dst, first, "properties"), '{')
		n := 0
		k.props.ForEach(func(name, v gjson.Result) bool {
			if n > 0 {
				dst = append(dst, ',')
			}
			n++
			dst, err = c.node(append(rawjson.AppendString(dst, name.Str), ':'), v, depth+1)
			return err == nil
		})
		if err != nil {
			return nil, err
		}
		dst = append(dst, '}')
	}
	if k.required.IsArray() {
		dst = append(rawjson.AppendKey(dst, first, "required"), k.required.Raw...)
	}
	if k.ordering.IsArray() {
		dst = append(rawjson.AppendKey(dst, first, "propertyOrdering"), k.ordering.Raw...)
	}
	if k.items.IsArray() {
		return nil, oaiwire.UnsupportedValue(provider, c.param, "tuple items (an items array)")
	}
	if k.items.Exists() {
		if dst, err = c.node(rawjson.AppendKey(dst, first, "items"), k.items, depth+1); err != nil {
			return nil, err
		}
	}
	if len(branches) > 0 {
		dst = append(rawjson.AppendKey(dst, first, "anyOf"), '[')
		for i, b := range branches {
			if i > 0 {
				dst = append(dst, ',')
			}
			if dst, err = c.node(dst, b, depth+1); err != nil {
				return nil, err
			}
		}
		dst = append(dst, ']')
	}
	return dst, nil
}

// typeOf reads "type", turning ["T","null"] into T plus nullable.
func (c *schemaConv) typeOf(k *keywords) (string, bool, error) {
	nullable := k.nullable.Type == gjson.True
	var typ string
	switch {
	case !k.typ.Exists():
	case k.typ.Type == gjson.String:
		typ = k.typ.Str
	case k.typ.IsArray():
		for _, t := range k.typ.Array() {
			switch {
			case t.Str == "null":
				nullable = true
			case typ == "":
				typ = t.Str
			default:
				return "", false, oaiwire.UnsupportedValue(provider, c.param, "a type list with more than one non-null type")
			}
		}
		if typ == "" && nullable {
			typ = "null"
		}
	default:
		return "", false, oaiwire.Invalid(c.param, "%s: type must be a string or an array of strings", c.param)
	}
	switch typ {
	case "", "string", "number", "integer", "boolean", "array", "object", "null":
		return typ, nullable, nil
	}
	return "", false, oaiwire.Invalid(c.param, "%s: unknown schema type %q", c.param, typ)
}

// ref inlines a local reference (#/$defs/x or #/definitions/x).
func (c *schemaConv) ref(dst []byte, ref string, depth int) ([]byte, error) {
	for _, r := range c.refs {
		if r == ref {
			return nil, oaiwire.UnsupportedValue(provider, c.param, "a recursive $ref ("+strconv.Quote(ref)+")")
		}
	}
	target, ok := c.resolve(ref)
	if !ok {
		return nil, oaiwire.UnsupportedValue(provider, c.param, "$ref "+strconv.Quote(ref)+" (only local #/$defs and #/definitions references resolve)")
	}
	c.refs = append(c.refs, ref)
	dst, err := c.node(dst, target, depth+1)
	c.refs = c.refs[:len(c.refs)-1]
	return dst, err
}

func (c *schemaConv) resolve(ref string) (gjson.Result, bool) {
	rest, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return gjson.Result{}, false
	}
	cur := c.root
	for _, seg := range strings.Split(rest, "/") {
		seg = strings.ReplaceAll(strings.ReplaceAll(seg, "~1", "/"), "~0", "~")
		next, found := gjson.Result{}, false
		cur.ForEach(func(k, v gjson.Result) bool {
			if k.Str == seg {
				next, found = v, true
				return false
			}
			return true
		})
		if !found {
			return gjson.Result{}, false
		}
		cur = next
	}
	return cur, cur.IsObject() || cur.Type == gjson.True
}
