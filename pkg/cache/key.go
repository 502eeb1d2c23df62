package cache

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unsafe"

	"github.com/tidwall/gjson"

	"github.com/sluice-gw/sluice/pkg/translate/rawjson"
)

// KeyVersion starts every key; bumping it invalidates every stored entry
// (a change to the canonical form must).
const KeyVersion = "sluice-cache-v1"

// ignored are the top-level request members that do not change what the
// model answers: who is asking and for what bookkeeping, and whether the
// answer is streamed (a stored answer is replayed either way). The model
// is replaced by the resolved one.
var ignored = map[string]bool{
	"model": true, "user": true, "metadata": true, "stream": true, "stream_options": true,
	"store": true, "safety_identifier": true, "prompt_cache_key": true, "prompt_cache_retention": true,
}

// Scope is what a request is answered for: the tenant and the model as
// routing resolved it. Requests in different scopes never share entries.
type Scope struct {
	Tenant string
	// Model is the public model's canonical name (aliases resolved);
	// Backend and Upstream are where it is served.
	Model, Backend, Upstream string
}

// Key is a request's cache key: hex SHA-256 of the scope and the
// canonical form of every member that changes the answer.
type Key struct {
	// Exact identifies the whole request.
	Exact string
	// Temperature is the request's sampling temperature; TemperatureSet is
	// false when the request has none (the provider's default is 1).
	Temperature    float64
	TemperatureSet bool
	// LastUser is the index of the last user message, -1 when none: the
	// message SemanticScope splits the request around.
	LastUser int
}

// member is one object member already written in canonical form at
// b[start:end], kept so the members can be put in name order afterwards.
type member struct {
	name       string
	start, end int
	// lastUser is the last user message's index in a top-level messages
	// array, -1 when none.
	lastUser int
}

// Object modes: the request object itself, a message in its messages
// array, and any other object.
const (
	modePlain = iota
	modeTop
	modeMessage
)

// keyer writes the canonical form of a JSON value: objects with their
// members sorted by name, strings unescaped and length-prefixed, numbers
// in their shortest form. Two bodies that differ only in member order,
// whitespace or escaping get the same form.
//
// It tokenizes the body itself in one pass: each member's form is written
// where it is parsed and the members are reordered by copying their
// written forms, so no part of the body is scanned twice (a tree walk
// over gjson results rescans every nested value once per level).
type keyer struct {
	b    []byte
	tmp  []byte   // the written members of the object being reordered
	ms   []member // members of the objects being written, a stack
	kvs  []kv     // the same for the writers of parsed values
	s    string   // the body
	body []byte   // the same, for rawjson's string scanner
	i    int      // the read position in s
	// lastUser is the index of the last user message seen by messages;
	// sawUser is whether the message being written has the user role.
	lastUser int
	sawUser  bool
	temp     float64
	tempSet  bool
}

var keyers = sync.Pool{New: func() any {
	return &keyer{b: make([]byte, 0, 8<<10), tmp: make([]byte, 0, 8<<10), ms: make([]member, 0, 64), kvs: make([]kv, 0, 16)}
}}

// ComputeKey computes the key of a chat completion request body, which
// must be valid JSON (the parse stage checked it).
func ComputeKey(s Scope, body []byte) Key {
	k := keyers.Get().(*keyer)
	defer keyers.Put(k)
	k.b = k.b[:0]
	k.scope(s)
	k.s = unsafe.String(unsafe.SliceData(body), len(body)) //nolint:gosec // read-only alias of the request body for this call
	k.body = body
	k.i = 0
	k.lastUser, k.sawUser = -1, false
	k.temp, k.tempSet = 0, false
	k.top()
	k.s, k.body = "", nil
	sum := sha256.Sum256(k.b)
	return Key{Exact: hex.EncodeToString(sum[:]), Temperature: k.temp, TemperatureSet: k.tempSet, LastUser: k.lastUser}
}

func (k *keyer) scope(s Scope) {
	k.b = append(k.b, KeyVersion...)
	for _, p := range [...]string{s.Tenant, s.Model, s.Backend, s.Upstream} {
		k.str(p)
	}
}

// top writes the request. A body that is not an object (the parse stage
// rejects those) is written as an object whose members are unnamed: the
// elements of an array root, or the one scalar.
func (k *keyer) top() {
	k.ws()
	if k.i >= len(k.s) {
		k.b = append(k.b, '{', '}')
		return
	}
	switch k.s[k.i] {
	case '{':
		k.object(modeTop)
	case '[':
		base, mb := len(k.b), len(k.ms)
		k.b = append(k.b, '{')
		k.elements(func() {
			at := k.i
			if k.member(modeTop, ""); k.i == at {
				k.i++
			}
		})
		k.finish(base, mb, true)
	default:
		base, mb := len(k.b), len(k.ms)
		k.b = append(k.b, '{')
		k.member(modeTop, "")
		k.finish(base, mb, true)
	}
}

// object writes the object at the read position, its members in name
// order.
func (k *keyer) object(mode int) {
	base, mb := len(k.b), len(k.ms)
	k.b = append(k.b, '{')
	k.i++
	for {
		k.ws()
		if k.i >= len(k.s) || k.s[k.i] == '}' {
			k.i++
			break
		}
		if k.s[k.i] != '"' {
			k.i++ // a comma, or a malformed body: skipped either way
			continue
		}
		name := k.string()
		k.ws()
		if k.i < len(k.s) && k.s[k.i] == ':' {
			k.i++
		}
		k.member(mode, name)
	}
	k.finish(base, mb, mode == modeTop)
}

// member writes one member at the read position, notes what the key
// reads from it, and leaves out the request members that do not change
// the answer.
func (k *keyer) member(mode int, name string) {
	start := len(k.b)
	k.str(name)
	lu := -1
	k.ws()
	switch {
	case mode == modeTop && name == "messages" && k.i < len(k.s) && k.s[k.i] == '[':
		lu = k.messages()
	case mode == modeTop:
		kind, tok := k.value()
		if name == "temperature" {
			k.temp, k.tempSet = 0, kind == 'd'
			if k.tempSet {
				k.temp, _ = strconv.ParseFloat(tok, 64)
			}
		}
		if ignored[name] {
			k.b = k.b[:start]
			return
		}
	case mode == modeMessage && name == "role":
		if kind, tok := k.value(); kind == 's' && tok == "user" {
			k.sawUser = true
		}
	default:
		k.value()
	}
	k.ms = append(k.ms, member{name: name, start: start, end: len(k.b), lastUser: lu})
}

// finish closes the object begun at b[base] whose members are ms[mb:],
// putting the members in name order; at the top it takes the last user
// message from the messages members in that order.
func (k *keyer) finish(base, mb int, top bool) {
	own := k.ms[mb:]
	slices.SortFunc(own, func(a, b member) int { return strings.Compare(a.name, b.name) })
	if !slices.IsSortedFunc(own, func(a, b member) int { return a.start - b.start }) {
		from := base + 1
		k.tmp = append(k.tmp[:0], k.b[from:]...)
		k.b = k.b[:from]
		for _, m := range own {
			k.b = append(k.b, k.tmp[m.start-from:m.end-from]...)
		}
	}
	k.b = append(k.b, '}')
	if top {
		for _, m := range own {
			if m.lastUser >= 0 {
				k.lastUser = m.lastUser
			}
		}
	}
	clear(own)
	k.ms = k.ms[:mb]
}

// value writes the value at the read position and returns its kind (the
// letter it is written with, 'o' and 'a' for objects and arrays, 0 for
// none) and, for a string or number, its text.
func (k *keyer) value() (kind byte, tok string) {
	k.ws()
	if k.i >= len(k.s) {
		return 0, ""
	}
	switch c := k.s[k.i]; c {
	case '{':
		k.object(modePlain)
		return 'o', ""
	case '[':
		k.array()
		return 'a', ""
	case '"':
		s := k.string()
		k.str(s)
		return 's', s
	case '}', ']', ',':
		return 0, "" // no value: left to the enclosing loop
	case 't', 'f', 'n':
		if c != 'n' || k.i+1 < len(k.s) && k.s[k.i+1] == 'u' {
			k.i++
			for k.i < len(k.s) && k.s[k.i] >= 'a' && k.s[k.i] <= 'z' {
				k.i++
			}
			k.b = append(k.b, c)
			return c, ""
		}
	}
	start := k.i
	for k.i++; k.i < len(k.s); k.i++ {
		if c := k.s[k.i]; c <= ' ' || c == ',' || c == ']' || c == '}' {
			break
		}
	}
	tok = k.s[start:k.i]
	k.b = append(k.b, 'd')
	k.b = appendNumber(k.b, tok)
	k.b = append(k.b, ';')
	return 'd', tok
}

func (k *keyer) array() {
	k.b = append(k.b, '[')
	k.elements(k.element)
	k.b = append(k.b, ']')
}

// elements reads the array at the read position, calling each with the
// read position on each element in turn, and leaves it past the array.
func (k *keyer) elements(each func()) {
	k.i++
	for {
		k.ws()
		if k.i >= len(k.s) || k.s[k.i] == ']' {
			k.i++
			return
		}
		if k.s[k.i] == ',' {
			k.i++
			continue
		}
		each()
	}
}

// element writes an array element, skipping a byte that starts none (a
// malformed body) so the read always moves on.
func (k *keyer) element() {
	at := k.i
	if k.value(); k.i == at {
		k.i++
	}
}

// messages writes the messages array as value would and returns the
// index of its last user message, -1 when none.
func (k *keyer) messages() int {
	k.b = append(k.b, '[')
	k.i++
	last := -1
	for n := 0; ; {
		k.ws()
		if k.i >= len(k.s) || k.s[k.i] == ']' {
			k.i++
			break
		}
		if k.s[k.i] == ',' {
			k.i++
			continue
		}
		if k.s[k.i] == '{' {
			k.sawUser = false
			k.object(modeMessage)
			if k.sawUser {
				last = n
			}
		} else {
			k.element()
		}
		n++
	}
	k.b = append(k.b, ']')
	return last
}

// string reads the string at the read position, unescaped.
func (k *keyer) string() string {
	start := k.i
	if end, esc, ok := rawjson.ScanString(k.body, start+1); ok {
		k.i = end
		if !esc {
			return k.s[start+1 : end-1]
		}
		return rawjson.String(k.s[start:end])
	}
	// A malformed string is read as gjson reads it, up to its closing
	// quote or the end of the body.
	j, esc := k.looseString(start + 1) // j: the closing quote, or len(s)
	k.i = j + 1
	if !esc {
		return k.s[start+1 : j]
	}
	return gjson.Parse(k.s[start:min(j+1, len(k.s))]).Str
}

// looseString finds the end of a string that ScanString refuses (a
// control byte, a bad escape, no closing quote), which a valid body never
// has: a backslash skips the byte after it and the first other quote
// closes the string, so such a body still gets a key, the same each time.
// It returns the closing quote's index, or len(s), and whether a
// backslash was seen.
func (k *keyer) looseString(j int) (int, bool) {
	esc := false
	for j < len(k.s) {
		c := k.s[j]
		if c == '\\' {
			esc = true
			j += 2
			continue
		}
		if c == '"' {
			break
		}
		j++
	}
	return min(j, len(k.s)), esc
}

// ws skips whitespace.
func (k *keyer) ws() {
	for k.i < len(k.s) && k.s[k.i] <= ' ' {
		k.i++
	}
}

// str writes a length-prefixed string, so no content can imitate the
// framing.
func (k *keyer) str(s string) {
	k.b = append(k.b, 's')
	k.b = strconv.AppendInt(k.b, int64(len(s)), 10)
	k.b = append(k.b, ':')
	k.b = append(k.b, s...)
}

// appendNumber writes an integer literal as it is and any other number in
// its shortest float form, so 0, 0.0 and 0e0 agree.
func appendNumber(dst []byte, raw string) []byte {
	integer := raw != "" && raw != "-" && raw != "-0"
	for i := 0; i < len(raw) && integer; i++ {
		c := raw[i]
		integer = c >= '0' && c <= '9' || c == '-' && i == 0
	}
	if integer && (raw[0] != '0' || len(raw) == 1) {
		return append(dst, raw...)
	}
	num, _ := strconv.ParseFloat(raw, 64)
	return strconv.AppendFloat(dst, num, 'g', -1, 64)
}

type kv struct {
	k string
	v gjson.Result
}

// membersOf writes a parsed object's members in name order, those keep
// accepts, as object writes them from the body.
func (k *keyer) membersOf(obj gjson.Result, keep func(string, gjson.Result) bool) {
	base := len(k.kvs)
	obj.ForEach(func(name, v gjson.Result) bool {
		if keep == nil || keep(name.Str, v) {
			k.kvs = append(k.kvs, kv{name.Str, v})
		}
		return true
	})
	own := k.kvs[base:]
	slices.SortFunc(own, func(a, b kv) int { return strings.Compare(a.k, b.k) })
	k.b = append(k.b, '{')
	for _, m := range own {
		k.str(m.k)
		k.valueOf(m.v)
	}
	k.b = append(k.b, '}')
	clear(own)
	k.kvs = k.kvs[:base]
}

// valueOf writes a parsed value as value writes it from the body.
func (k *keyer) valueOf(v gjson.Result) {
	switch v.Type {
	case gjson.Null:
		k.b = append(k.b, 'n')
	case gjson.True:
		k.b = append(k.b, 't')
	case gjson.False:
		k.b = append(k.b, 'f')
	case gjson.Number:
		k.b = append(k.b, 'd')
		k.b = appendNumber(k.b, v.Raw)
		k.b = append(k.b, ';')
	case gjson.String:
		k.str(v.Str)
	case gjson.JSON:
		if v.IsArray() {
			k.b = append(k.b, '[')
			v.ForEach(func(_, e gjson.Result) bool {
				k.valueOf(e)
				return true
			})
			k.b = append(k.b, ']')
			return
		}
		k.membersOf(v, nil)
	}
}
