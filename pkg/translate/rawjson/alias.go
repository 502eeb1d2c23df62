package rawjson

import "github.com/tidwall/gjson"

// Parse reads b without copying it, where gjson.ParseBytes copies the
// whole document and gjson.GetBytes each result. The results, and every
// string read from them, alias b: they are valid only while b is
// unchanged, so a caller that keeps one past that (a stream event's data
// is reused for the next event) must clone it.
func Parse(b []byte) gjson.Result {
	return gjson.Parse(alias(b))
}

// Get is gjson.GetBytes without the copies, under Parse's rules.
func Get(b []byte, path string) gjson.Result {
	return gjson.Get(alias(b), path)
}

// Str is the value of the JSON string literal b (quotes included, checked
// by ScanString), as gjson gives it in Result.Str, under Parse's rules:
// it aliases b unless the literal holds an escape.
func Str(b []byte) string { return String(alias(b)) }
