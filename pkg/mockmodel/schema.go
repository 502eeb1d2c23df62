package mockmodel

import (
	"strconv"
	"strings"

	"github.com/tidwall/gjson"
)

// maxSchemaDepth stops recursive schemas ($ref cycles) from looping.
const maxSchemaDepth = 8

// SampleJSON returns a JSON value that conforms to the common subset of JSON
// Schema that tool parameters and structured outputs use: type, properties,
// items, enum, const, default, anyOf/oneOf/allOf, local $ref and a few string
// formats. Every declared property is filled in, as strict structured output
// requires. A missing schema yields {}.
func SampleJSON(schema gjson.Result) []byte {
	if !schema.Exists() || schema.Type == gjson.Null {
		return []byte("{}")
	}
	return appendSample(nil, schema, schema, 0)
}

func appendSample(dst []byte, root, s gjson.Result, depth int) []byte {
	if depth > maxSchemaDepth {
		return append(dst, "null"...)
	}
	if ref := s.Get("$ref").String(); ref != "" {
		return appendSample(dst, root, resolveRef(root, ref), depth+1)
	}
	for _, key := range []string{"const", "default", "enum.0", "examples.0"} {
		if v := s.Get(key); v.Exists() {
			return append(dst, v.Raw...)
		}
	}
	for _, key := range []string{"anyOf", "oneOf", "allOf"} {
		if alts := s.Get(key); alts.IsArray() {
			return appendSample(dst, root, firstNonNull(alts), depth+1)
		}
	}
	switch schemaType(s) {
	case "object":
		return appendObject(dst, root, s, depth)
	case "array":
		dst = append(dst, '[')
		if items := s.Get("items"); items.Exists() {
			dst = appendSample(dst, root, items, depth+1)
		}
		return append(dst, ']')
	case "string":
		return appendString(dst, sampleString(s.Get("format").String()))
	case "integer", "number":
		return appendNumber(dst, s)
	case "boolean":
		return append(dst, "true"...)
	default:
		return append(dst, "null"...)
	}
}

func appendObject(dst []byte, root, s gjson.Result, depth int) []byte {
	dst = append(dst, '{')
	props := s.Get("properties")
	if !props.IsObject() {
		return append(dst, '}')
	}
	first := true
	props.ForEach(func(name, prop gjson.Result) bool {
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = append(dst, name.Raw...) // already a JSON string literal
		dst = append(dst, ':')
		dst = appendSample(dst, root, prop, depth+1)
		return true
	})
	return append(dst, '}')
}

// appendNumber picks the lower bound when there is one, else zero.
func appendNumber(dst []byte, s gjson.Result) []byte {
	if m := s.Get("minimum"); m.Type == gjson.Number {
		return append(dst, m.Raw...)
	}
	if m := s.Get("exclusiveMinimum"); m.Type == gjson.Number {
		return strconv.AppendInt(dst, int64(m.Float())+1, 10)
	}
	return append(dst, '0')
}

// schemaType reads "type", which may be a list such as ["string","null"];
// the first non-null entry wins. Without a type, properties imply object.
func schemaType(s gjson.Result) string {
	t := s.Get("type")
	if t.IsArray() {
		return firstNonNull(t).String()
	}
	if !t.Exists() && s.Get("properties").Exists() {
		return "object"
	}
	return t.String()
}

func firstNonNull(list gjson.Result) gjson.Result {
	var pick gjson.Result
	list.ForEach(func(_, v gjson.Result) bool {
		if v.String() == "null" || v.Get("type").String() == "null" {
			return true
		}
		pick = v
		return false
	})
	return pick
}

// resolveRef follows a local reference such as "#/$defs/Address".
func resolveRef(root gjson.Result, ref string) gjson.Result {
	if ref == "#" {
		return root
	}
	path, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return gjson.Result{}
	}
	parts := strings.Split(path, "/")
	for i, p := range parts {
		p = strings.ReplaceAll(strings.ReplaceAll(p, "~1", "/"), "~0", "~")
		parts[i] = escapePathComponent(p)
	}
	return root.Get(strings.Join(parts, "."))
}

// escapePathComponent escapes gjson path syntax characters.
func escapePathComponent(s string) string {
	var sb strings.Builder
	for _, c := range s {
		switch c {
		case '.', '*', '?', '|', '#', '@', '\\', '$', '!', '=', '<', '>', '%':
			sb.WriteByte('\\')
		}
		sb.WriteRune(c)
	}
	return sb.String()
}

func sampleString(format string) string {
	switch format {
	case "date-time":
		return "2024-01-01T00:00:00Z"
	case "date":
		return "2024-01-01"
	case "email":
		return "mock@example.com"
	case "uri", "url":
		return "https://example.com"
	case "uuid":
		return "00000000-0000-4000-8000-000000000000"
	}
	return "mock"
}
