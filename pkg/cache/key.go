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
	// LastUser is the index of the last user message, -1 when none.
	LastUser int
}

type kv struct {
	k string
	v gjson.Result
}

// keyer writes the canonical form of a JSON value: objects with their
// members sorted by name, strings unescaped and length-prefixed, numbers
// in their shortest form. Two bodies that differ only in member order,
// whitespace or escaping get the same form.
type keyer struct {
	b   []byte
	kvs []kv // members of the objects being written, a stack
	// lastUser is the index of the last user message seen by messages.
	lastUser int
}

var keyers = sync.Pool{New: func() any { return &keyer{b: make([]byte, 0, 8<<10), kvs: make([]kv, 0, 64)} }}

// ComputeKey computes the key of a chat completion request body, which
// must be valid JSON (the parse stage checked it).
func ComputeKey(s Scope, body []byte) Key {
	k := keyers.Get().(*keyer)
	defer keyers.Put(k)
	k.b = k.b[:0]
	k.scope(s)
	k.lastUser = -1
	key := Key{}
	root := gjson.Parse(unsafe.String(unsafe.SliceData(body), len(body))) //nolint:gosec // read-only alias of the request body for this call
	k.top(root, func(name string, v gjson.Result) bool {
		if name == "temperature" {
			key.Temperature, key.TemperatureSet = v.Num, v.Type == gjson.Number
		}
		return !ignored[name]
	})
	key.LastUser = k.lastUser
	sum := sha256.Sum256(k.b)
	key.Exact = hex.EncodeToString(sum[:])
	return key
}

func (k *keyer) scope(s Scope) {
	k.b = append(k.b, KeyVersion...)
	for _, p := range [...]string{s.Tenant, s.Model, s.Backend, s.Upstream} {
		k.str(p)
	}
}

// top writes the request object, noting the last user message on the
// way through the messages rather than in a walk of its own.
func (k *keyer) top(obj gjson.Result, keep func(string, gjson.Result) bool) {
	k.object(obj, keep, true)
}

// members writes an object's members in name order, those keep accepts.
func (k *keyer) members(obj gjson.Result, keep func(string, gjson.Result) bool) {
	k.object(obj, keep, false)
}

func (k *keyer) object(obj gjson.Result, keep func(string, gjson.Result) bool, top bool) {
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
	for i := base; i < len(k.kvs); i++ {
		k.str(k.kvs[i].k)
		if top && k.kvs[i].k == "messages" && k.kvs[i].v.IsArray() {
			k.messages(k.kvs[i].v)
			continue
		}
		k.value(k.kvs[i].v)
	}
	k.b = append(k.b, '}')
	clear(k.kvs[base:])
	k.kvs = k.kvs[:base]
}

func (k *keyer) value(v gjson.Result) {
	switch v.Type {
	case gjson.Null:
		k.b = append(k.b, 'n')
	case gjson.True:
		k.b = append(k.b, 't')
	case gjson.False:
		k.b = append(k.b, 'f')
	case gjson.Number:
		k.b = append(k.b, 'd')
		k.b = appendNumber(k.b, v)
		k.b = append(k.b, ';')
	case gjson.String:
		k.str(v.Str)
	case gjson.JSON:
		if v.IsArray() {
			k.b = append(k.b, '[')
			v.ForEach(func(_, e gjson.Result) bool {
				k.value(e)
				return true
			})
			k.b = append(k.b, ']')
			return
		}
		k.members(v, nil)
	}
}

// messages writes the messages array as value would, noting the index
// of the last user message.
func (k *keyer) messages(msgs gjson.Result) {
	k.b = append(k.b, '[')
	i := 0
	msgs.ForEach(func(_, m gjson.Result) bool {
		if m.IsObject() {
			n := i
			k.members(m, func(name string, v gjson.Result) bool {
				if name == "role" && v.Str == "user" {
					k.lastUser = n
				}
				return true
			})
		} else {
			k.value(m)
		}
		i++
		return true
	})
	k.b = append(k.b, ']')
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
func appendNumber(dst []byte, v gjson.Result) []byte {
	raw := v.Raw
	integer := raw != "" && raw != "-" && raw != "-0"
	for i := 0; i < len(raw) && integer; i++ {
		c := raw[i]
		integer = c >= '0' && c <= '9' || c == '-' && i == 0
	}
	if integer && (raw[0] != '0' || len(raw) == 1) {
		return append(dst, raw...)
	}
	return strconv.AppendFloat(dst, v.Num, 'g', -1, 64)
}

// lastUser is the index of the last message whose role is user.
func lastUser(msgs gjson.Result) int {
	last, i := -1, 0
	msgs.ForEach(func(_, m gjson.Result) bool {
		if m.Get("role").Str == "user" {
			last = i
		}
		i++
		return true
	})
	return last
}
