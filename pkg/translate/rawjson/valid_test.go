package rawjson

import (
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tidwall/gjson"
)

// validCases are inputs with gjson.ValidBytes's verdict on each, covering
// every rule of the grammar and the eight-byte string scan's edges.
var validCases = []struct {
	in   string
	want bool
}{
	{``, false},
	{` `, false},
	{`{}`, true},
	{` { } `, true},
	{"\t\r\n[\t]\n", true},
	{`{"a":1}`, true},
	{`{"a":1,}`, false},
	{`{"a" : [1, 2.5, -0, -0.0e+10, 1E3, true, false, null, "s", {}, []] }`, true},
	{`{,"a":1}`, false},
	{`{"a":1 "b":2}`, false},
	{`{"a"}`, false},
	{`{"a":}`, false},
	{`{1:2}`, false},
	{`{"a":1}}`, false},
	{`{"a":1`, false},
	{`[1,]`, false},
	{`[,1]`, false},
	{`[1 2]`, false},
	{`[`, false},
	{`]`, false},
	{`[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]`, true},
	{`[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]`, false},
	{`{"a":{"b":{"c":[{"d":[]}]}}}`, true},
	{`{"a":{"b":{"c":[{"d":[]}]}}`, false},
	{`{"a":[}`, false},
	{`{"a":{]`, false},
	{`0`, true},
	{`01`, false},
	{`-`, false},
	{`-a`, false},
	{`-01`, false},
	{`1.`, false},
	{`1.e5`, false},
	{`.5`, false},
	{`+1`, false},
	{`1e`, false},
	{`1e+`, false},
	{`1e+9`, true},
	{`123456789012345678901234567890e999`, true},
	{`tru`, false},
	{`true`, true},
	{`truex`, false},
	{`nul`, false},
	{`nulll`, false},
	{`fals`, false},
	{`NaN`, false},
	{`Infinity`, false},
	{`"`, false},
	{`""`, true},
	{`"abc`, false},
	{`"a\"b"`, true},
	{`"\\"`, true},
	{`"\/\b\f\n\r\t"`, true},
	{`"\u00e9\uD83D\uDE00"`, true},
	{`"\u00g9"`, false},
	{`"\u00`, false},
	{`"\x"`, false},
	{`"\`, false},
	{"\"tab\there\"", false},
	{"\"nul\x00\"", false},
	{"\"del\x7f\"", true},
	{"\"bad utf-8 \xff\xfe\"", true},
	{"\"héllo 日本語 😀\"", true},
	{`"exactly eight b"`, true},
	{`"0123456789abcdef0123456789abcdef"`, true},
	{"\"0123456789abcdef0123456\x1f89abcdef\"", false},
	{`"0123456789abcdef0123456\"89abcdef"`, true},
	{`"0123456789abcdef0123456789abcde\`, false},
	{`"0123456789abcdef0123456789abcdef`, false},
	{`{"k\"ey":"v"}`, true},
	{`1 2`, false},
	{`{} x`, false},
	{"{}\x00", false},
}

func TestValid(t *testing.T) {
	for _, tc := range validCases {
		if got := Valid([]byte(tc.in)); got != tc.want {
			t.Errorf("Valid(%q) = %v, want %v", tc.in, got, tc.want)
		}
		if gj := gjson.ValidBytes([]byte(tc.in)); gj != tc.want {
			t.Errorf("case %q: gjson.ValidBytes says %v; the table is wrong", tc.in, gj)
		}
		if _, _, ok := Members(nil, []byte(tc.in)); ok != tc.want {
			t.Errorf("Members(%q) ok = %v, want %v", tc.in, ok, tc.want)
		}
	}
}

func TestValidDeep(t *testing.T) {
	deep := strings.Repeat(`{"a":[`, 100_000) + "1" + strings.Repeat(`]}`, 100_000)
	if !Valid([]byte(deep)) {
		t.Error("deeply nested document not valid")
	}
	if Valid([]byte(deep[:len(deep)-1])) {
		t.Error("deeply nested document missing its last brace is valid")
	}
}

func TestMembers(t *testing.T) {
	tests := []struct {
		in     string
		object bool
	}{
		{`{}`, true},
		{` {"model":"gpt","n":2,"x":1.5e3,"t":true,"f":false,"z":null} `, true},
		{`{"m\u006fdel":"a\"b","messages":[{"role":"user"}],"o":{"k":[]},"model":"again"}`, true},
		{`{"big":1e400,"neg":-0,"n":-12,"long":1234567890123456789,"f":-0.5,"e":1E2}`, true},
		{`[1,2]`, false},
		{`"s"`, false},
	}
	for _, tc := range tests {
		got, object, ok := Members(nil, []byte(tc.in))
		if !ok || object != tc.object {
			t.Fatalf("Members(%s) = object %v, ok %v; want object %v, ok", tc.in, object, ok, tc.object)
		}
		if diff := cmp.Diff(forEach(tc.in), values(got), sameNumbers); diff != "" {
			t.Errorf("Members(%s) differs from gjson's ForEach (-gjson +Members):\n%s", tc.in, diff)
		}
	}
}

// forEach is what Members replaces: gjson's walk over a valid object.
func forEach(s string) []kv {
	root := gjson.Parse(s)
	if !root.IsObject() {
		return nil
	}
	return gjsonEach(root)
}

// kv is a member as gjson's ForEach gives it.
type kv struct {
	Key   string
	Value gjson.Result
}

func values(ms []Member) []kv {
	var out []kv
	for _, m := range ms {
		out = append(out, kv{m.Key, m.Value()})
	}
	return out
}

func gjsonEach(v gjson.Result) []kv {
	var out []kv
	v.ForEach(func(k, v gjson.Result) bool {
		out = append(out, kv{k.Str, v})
		return true
	})
	return out
}

func each(v gjson.Result) []kv {
	var out []kv
	Each(v, func(k string, v gjson.Result) bool {
		out = append(out, kv{k, v})
		return true
	})
	return out
}

// sameNumbers compares numbers bit for bit, so -0 differs from 0.
var sameNumbers = cmp.Comparer(func(a, b float64) bool {
	return math.Float64bits(a) == math.Float64bits(b) || math.IsNaN(a) && math.IsNaN(b)
})

// checkEach compares Each with gjson's ForEach on v and, recursively, on
// every object and array inside it.
func checkEach(t *testing.T, v gjson.Result) {
	t.Helper()
	if v.Type != gjson.JSON {
		return
	}
	if diff := cmp.Diff(gjsonEach(v), each(v), sameNumbers); diff != "" {
		t.Fatalf("Each(%s) differs from gjson's ForEach (-gjson +Each):\n%s", v.Raw, diff)
	}
	if diff := cmp.Diff(gjsonElements(v), elements(v), sameNumbers); diff != "" {
		t.Fatalf("EachElement(%s) differs from gjson's nested ForEach (-gjson +EachElement):\n%s", v.Raw, diff)
	}
	Each(v, func(_ string, v gjson.Result) bool {
		checkEach(t, v)
		return true
	})
}

// element is an array element as EachElement reports it: its index, and
// its members when it is an object.
type element struct {
	N       int
	Members []kv
}

func gjsonElements(v gjson.Result) []element {
	if !v.IsArray() {
		return nil
	}
	var out []element
	v.ForEach(func(k, e gjson.Result) bool {
		el := element{N: len(out)}
		if e.IsObject() {
			el.Members = gjsonEach(e)
		}
		out = append(out, el)
		return true
	})
	return out
}

func elements(v gjson.Result) []element {
	var out []element
	EachElement(v, func(n int) { out = append(out, element{N: n}) }, func(k string, m gjson.Result) {
		out[len(out)-1].Members = append(out[len(out)-1].Members, kv{k, m})
	})
	return out
}

func TestEach(t *testing.T) {
	for _, in := range []string{
		`{}`, `[]`, ` [ ] `, `[1,"a\"b",true,null,{"k":[1,{}]},[[]]]`,
		`{"a":1,"b":{"c":"d","e\u0066":[1,2]},"a":"again"}`,
		`{"messages":[{"role":"user","content":[{"type":"text","text":"hi"},{"type":"image_url"}]}]}`,
		`[{"role":"system"},{},"x",[1,{"a":2}],{"role":"user","content":"hi","role":"assistant"},null]`,
	} {
		checkEach(t, gjson.Parse(in))
	}
	stop := 0
	Each(gjson.Parse(`[1,2,3]`), func(string, gjson.Result) bool { stop++; return false })
	if stop != 1 {
		t.Errorf("Each went on after fn returned false: %d calls", stop)
	}
}

func FuzzValid(f *testing.F) {
	for _, tc := range validCases {
		f.Add([]byte(tc.in))
	}
	f.Add([]byte(`{"model":"gpt-4o","messages":[{"role":"user","content":"hi \u00e9"}],"stream":true,"n":1e-3}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		want := gjson.ValidBytes(b)
		if got := Valid(b); got != want {
			t.Fatalf("Valid(%q) = %v, gjson.ValidBytes = %v", b, got, want)
		}
		got, object, ok := Members(nil, b)
		if ok != want {
			t.Fatalf("Members(%q) ok = %v, gjson.ValidBytes = %v", b, ok, want)
		}
		if !ok {
			// Not checked: what the readers of checked documents report
			// is unspecified, but they must not panic or loop.
			v := gjson.Result{Type: gjson.JSON, Raw: string(b)}
			_, _, _ = each(v), elements(v), Field(v, "k")
			return
		}
		if object != gjson.ParseBytes(b).IsObject() {
			t.Fatalf("Members(%q) object = %v", b, object)
		}
		if diff := cmp.Diff(forEach(string(b)), values(got), sameNumbers); diff != "" {
			t.Fatalf("Members(%q) differs from gjson's ForEach (-gjson +Members):\n%s", b, diff)
		}
		checkEach(t, gjson.ParseBytes(b))
		root := gjson.ParseBytes(b)
		for _, m := range got {
			if f, want := Field(root, m.Key), root.Get(m.Key); isPlainKey(m.Key) && f.Raw != want.Raw {
				t.Fatalf("Field(%q, %q) = %s, gjson's Get = %s", b, m.Key, f.Raw, want.Raw)
			}
			v, _, _ := Lookup(b, m.Key)
			if want := gjson.GetBytes(b, m.Key); isPlainKey(m.Key) && v.Raw != want.Raw {
				t.Fatalf("Lookup(%q, %q) = %s, gjson.Get = %s", b, m.Key, v.Raw, want.Raw)
			}
		}
		checkSelect(t, b, got)
	})
}

// checkSelect selects every plain key of b's members at once, and one key
// b does not have, and holds each value to gjson.Get's.
func checkSelect(t *testing.T, b []byte, members []Member) {
	keys := []string{"no such key"}
	for _, m := range members {
		if isPlainKey(m.Key) {
			keys = append(keys, m.Key)
		}
	}
	dst := make([]gjson.Result, len(keys))
	if _, ok := Select(b, keys, dst); !ok {
		t.Fatalf("Select(%q) is not ok", b)
	}
	fields := make([]gjson.Result, len(keys))
	Fields(gjson.ParseBytes(b), keys, fields)
	for i, k := range keys {
		want := gjson.GetBytes(b, k)
		if got := dst[i]; got.Raw != want.Raw || got.Type != want.Type || got.Str != want.Str || got.Int() != want.Int() {
			t.Fatalf("Select(%q) %s = %s, gjson.Get = %s", b, k, got.Raw, want.Raw)
		}
		if got := fields[i]; got.Raw != want.Raw || got.Type != want.Type || got.Str != want.Str || got.Int() != want.Int() {
			t.Fatalf("Fields(%q) %s = %s, gjson.Get = %s", b, k, got.Raw, want.Raw)
		}
	}
	// LastFields keeps the last member of each name, as encoding/json does.
	last := make([]gjson.Result, len(keys))
	LastFields(gjson.ParseBytes(b), keys, last)
	for i, k := range keys {
		var want gjson.Result
		for _, m := range members {
			if m.Key == k {
				want = m.Value()
			}
		}
		if got := last[i]; got.Raw != want.Raw || got.Index != want.Index {
			t.Fatalf("LastFields(%q) %s = %s at %d, want %s at %d", b, k, got.Raw, got.Index, want.Raw, want.Index)
		}
	}
}

// isPlainKey reports whether gjson.Get reads key as a plain member name,
// with none of its path syntax.
func isPlainKey(key string) bool {
	return key != "" && !strings.ContainsAny(key, ".*?|#@!\\{}[]:,\"") && key[0] != '='
}

func TestLookup(t *testing.T) {
	body := []byte(`{"id":"c1","usage":{"prompt_tokens":3},"choices":[{"usage":1}],"usage":"second"}`)
	v, object, ok := Lookup(body, "usage")
	if !ok || !object || v.Raw != `{"prompt_tokens":3}` {
		t.Errorf("Lookup = %s, object %v, ok %v", v.Raw, object, ok)
	}
	if v, _, ok := Lookup(body, "missing"); !ok || v.Exists() {
		t.Errorf("Lookup of a missing key = %s, ok %v", v.Raw, ok)
	}
	if _, object, ok := Lookup([]byte(`[1]`), "usage"); !ok || object {
		t.Errorf("Lookup of an array: object %v, ok %v", object, ok)
	}
	if _, _, ok := Lookup([]byte(`{"usage":1`), "usage"); ok {
		t.Error("Lookup of a cut body is ok")
	}
	if f := Field(gjson.ParseBytes(body), "usage"); f.Raw != `{"prompt_tokens":3}` {
		t.Errorf("Field = %s", f.Raw)
	}
	if f := Field(gjson.Parse(`[{"usage":1}]`), "usage"); f.Exists() {
		t.Errorf("Field of an array = %s", f.Raw)
	}
}
