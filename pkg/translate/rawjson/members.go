package rawjson

import (
	"math"
	"strconv"
	"strings"
	"unsafe"

	"github.com/tidwall/gjson"
)

// Member is one member of a JSON object: its key, unescaped as gjson's
// ForEach gives it, and its value, aliasing the document. It is kept small
// (the value is read on demand) because callers hold a dozen of them on
// the stack of a goroutine that is new for every request.
type Member struct {
	Key   string
	raw   string
	index int
}

// Value is the member's value as gjson's ForEach gives it.
func (m Member) Value() gjson.Result { return result(m.raw, m.index) }

// Members checks b as Valid does and, when b holds an object, appends the
// object's members to dst in document order, duplicates included. It is
// what gjson.ValidBytes followed by a ForEach over the object does, in one
// pass over b. Members and their strings alias b, under Parse's rules.
//
// ok is false when b is not valid JSON; the members are then
// meaningless. object is whether b holds an object.
func Members(dst []Member, b []byte) (members []Member, object, ok bool) {
	object, ok = walkObject(b, func(key string, start, end int) {
		dst = append(dst, Member{Key: key, raw: alias(b[start:end]), index: start})
	})
	return dst, object, ok
}

// Lookup checks b as Valid does and, when b holds an object, returns the
// value of its first member named key, as gjson.Get does for a plain key,
// in one pass over b.
func Lookup(b []byte, key string) (v gjson.Result, object, ok bool) {
	var dst [1]gjson.Result
	object, ok = Select(b, []string{key}, dst[:])
	return dst[0], object, ok
}

// Select checks b as Valid does and, when b holds an object, sets dst[i]
// to the value of its first member named keys[i], as gjson.Get does for
// plain keys, in one pass over b. dst must be as long as keys and start
// zeroed; a key with no member leaves its slot zero.
func Select(b []byte, keys []string, dst []gjson.Result) (object, ok bool) {
	return walkObject(b, func(k string, start, end int) {
		for i, key := range keys {
			if k == key && !dst[i].Exists() {
				dst[i] = result(alias(b[start:end]), start)
			}
		}
	})
}

// Fields sets dst[i] to the value of the first member named keys[i] of
// the object v holds, as v.Get does for plain keys, in one pass, for a v
// read from a document already checked: Select's counterpart for a value.
// dst must be as long as keys and start zeroed.
func Fields(v gjson.Result, keys []string, dst []gjson.Result) { fields(v, keys, dst, false) }

// LastFields is Fields keeping the last member of each name instead of
// the first, as the providers' JSON decoders do. Whatever reads a request
// body to decide about it (count its tokens, cache its answer) must read
// what the provider will: with the first member, a client could show one
// text to Sluice and another to the provider.
func LastFields(v gjson.Result, keys []string, dst []gjson.Result) { fields(v, keys, dst, true) }

func fields(v gjson.Result, keys []string, dst []gjson.Result, last bool) {
	Each(v, func(k string, m gjson.Result) bool {
		for i, key := range keys {
			if k == key && (last || !dst[i].Exists()) {
				dst[i] = m
			}
		}
		return true
	})
}

// Field returns the value of the first member named key (not "") of the
// object v holds, as v.Get does for a plain key, for a v read from a
// document already checked; the zero Result when there is none.
func Field(v gjson.Result, key string) gjson.Result {
	var out gjson.Result
	Each(v, func(k string, m gjson.Result) bool {
		if k == key {
			out = m
			return false
		}
		return true
	})
	return out
}

// walkObject checks b as Valid does and, when b holds an object, calls fn
// with each member's key and the bounds of its value, as it passes them.
func walkObject(b []byte, fn func(key string, start, end int)) (object, ok bool) {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		end, ok := skipValue(b, i)
		return false, ok && skipSpace(b, end) == len(b)
	}
	if i = skipSpace(b, i+1); i < len(b) && b[i] == '}' {
		return true, skipSpace(b, i+1) == len(b)
	}
	for {
		ks := i
		if i, ok = skipKey(b, i); !ok {
			return true, false
		}
		key := keyOf(b, ks, i)
		vs := skipSpace(b, i)
		if i, ok = skipValue(b, vs); !ok {
			return true, false
		}
		fn(key, vs, i)
		if i = skipSpace(b, i); i >= len(b) {
			return true, false
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case '}':
			return true, skipSpace(b, i+1) == len(b)
		default:
			return true, false
		}
	}
}

// keyOf returns the key whose quoted form starts at b[start] and whose
// colon ends before b[end].
func keyOf(b []byte, start, end int) string {
	raw := alias(b[start:end])
	return String(raw[:strings.LastIndexByte(raw, '"')+1])
}

// result is the gjson.Result of the valid value raw found at index, as
// gjson's ForEach builds it.
func result(raw string, index int) gjson.Result {
	r := gjson.Result{Raw: raw, Index: index}
	switch raw[0] {
	case '{', '[':
		r.Type = gjson.JSON
	case '"':
		r.Type, r.Str = gjson.String, String(raw)
	case 't':
		r.Type = gjson.True
	case 'f':
		r.Type = gjson.False
	case 'n':
		r.Type = gjson.Null
	default:
		r.Type, r.Num = gjson.Number, number(raw)
	}
	return r
}

// number is strconv.ParseFloat(raw, 64), as gjson computes it, for a
// valid JSON number. Short integers, the usual case, are converted
// directly: the result is the same, exactly, and ParseFloat's frame of
// about a kilobyte would often grow the request goroutine's stack.
func number(raw string) float64 {
	digits := strings.TrimPrefix(raw, "-")
	if len(digits) <= 15 && !strings.ContainsAny(digits, ".eE") {
		n := 0
		for i := range len(digits) {
			n = n*10 + int(digits[i]-'0')
		}
		f := float64(n)
		if len(digits) < len(raw) {
			f = math.Copysign(f, -1)
		}
		return f
	}
	f, _ := strconv.ParseFloat(raw, 64) // gjson keeps ±Inf for an out-of-range number too
	return f
}

// alias is b as a string without a copy, under Parse's rules.
func alias(b []byte) string {
	return unsafe.String(unsafe.SliceData(b), len(b)) //nolint:gosec // read-only alias; see Parse
}

// Each calls fn for each member of the object, or each element of the
// array, that v holds, in order, until fn returns false: gjson's ForEach,
// for a v read from a document already checked by Valid or Members. Keys
// are unescaped as ForEach gives them; an element's key is "". Values are
// not checked again, only crossed (checked.go), where ForEach reads them a
// byte at a time. A v that is not an object or an array has no members.
func Each(v gjson.Result, fn func(key string, value gjson.Result) bool) {
	if b := view(v); b != nil {
		eachIn(b, skipSpace(b, 0), v.Index, fn)
	}
}

// EachElement calls elem(n) as element n of the array v holds begins and,
// when that element is an object, member for each of its members: Each
// over the array and then over each element, in one pass over it. v is
// read from a document already checked by Valid or Members.
func EachElement(v gjson.Result, elem func(n int), member func(key string, value gjson.Result)) {
	b := view(v)
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '[' {
		return
	}
	visit := func(k string, r gjson.Result) bool { member(k, r); return true }
	var ok bool
	for n, i := 0, skipSpace(b, i+1); i < len(b) && b[i] != ']'; n++ {
		elem(n)
		if b[i] == '{' {
			i, ok = eachIn(b, i, v.Index, visit)
		} else {
			i, ok = valueEnd(b, i), true
		}
		if i = skipSpace(b, i); !ok || i >= len(b) || b[i] != ',' {
			return
		}
		i = skipSpace(b, i+1)
	}
}

// view is the raw text of the object or array v holds, or nil.
func view(v gjson.Result) []byte {
	if v.Type != gjson.JSON {
		return nil
	}
	return unsafe.Slice(unsafe.StringData(v.Raw), len(v.Raw)) //nolint:gosec // read-only view of a string
}

// eachIn calls fn for each member or element of the object or array at
// b[i], until fn returns false. It returns the index after the container,
// and whether it got there. base is b's offset in its document.
func eachIn(b []byte, i, base int, fn func(key string, value gjson.Result) bool) (int, bool) {
	if i >= len(b) || b[i] != '{' && b[i] != '[' {
		return i, false
	}
	object, closing := b[i] == '{', b[i]+2
	var ok bool
	for i = skipSpace(b, i+1); i < len(b) && b[i] != closing; i = skipSpace(b, i+1) {
		key := ""
		if object {
			ks := i
			if i, ok = keyEnd(b, i); !ok {
				return i, false
			}
			key = keyOf(b, ks, i)
		}
		vs := skipSpace(b, i)
		if i = valueEnd(b, vs); i == vs || !fn(key, result(alias(b[vs:i]), base+vs)) {
			return i, false
		}
		if i = skipSpace(b, i); i < len(b) && b[i] == closing {
			break
		}
		if i >= len(b) || b[i] != ',' {
			return i, false
		}
	}
	if i >= len(b) {
		return i, false
	}
	return i + 1, true
}
