package cache

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"unsafe"

	"github.com/tidwall/gjson"

	"github.com/sluice-gw/sluice/pkg/config"
	"github.com/sluice-gw/sluice/pkg/translate/rawjson"
)

// Semantic is a semantic index: it finds the stored request whose last
// user message means the same as text, among requests that share scope
// (everything else about them), and answers with that request's exact
// key.
type Semantic interface {
	Lookup(ctx context.Context, scope, text string, threshold float32) (key string, score float32, ok bool, err error)
	Add(ctx context.Context, scope, text, key string) error
	Close() error
}

// SemanticFactory builds the index for a config's cache.semantic
// settings (never nil when called).
type SemanticFactory func(snap *config.Snapshot, s *config.SemanticCache) (Semantic, error)

// SemanticScope splits a chat request for the semantic index: the scope
// hashes everything the exact key does except the last user message's
// text, which is returned apart. key is ComputeKey(s, body): its tokenizer
// already found the last user message, so the body is not searched for it
// again. ok is false when the request has no last user message made only
// of text.
func SemanticScope(s Scope, body []byte, key Key) (scope, text string, ok bool) {
	last := key.LastUser
	if last < 0 {
		return "", "", false
	}
	root := gjson.Parse(unsafe.String(unsafe.SliceData(body), len(body))) //nolint:gosec // read-only alias of the request body for this call
	// Providers read the last of repeated members, gjson the first: in a
	// body that repeats messages, or a role or content of the message
	// split off, the text looked up could differ from the one the answer
	// was for, and one caller could file an answer under another's
	// question. Such a body is left to the exact cache.
	if members(root, "messages") != 1 {
		return "", "", false
	}
	msgs := root.Get("messages")
	if !msgs.IsArray() {
		return "", "", false
	}
	m := nth(msgs, last)
	if members(m, "role") != 1 || members(m, "content") != 1 || m.Get("role").Str != "user" {
		return "", "", false
	}
	text, ok = userText(m.Get("content"))
	if !ok {
		return "", "", false
	}
	k := keyers.Get().(*keyer)
	defer keyers.Put(k)
	k.b = append(k.b[:0], "semantic:"...)
	k.scope(s)
	k.membersOf(root, func(name string, _ gjson.Result) bool { return !ignored[name] && name != "messages" })
	k.b = append(k.b, '[')
	i := 0
	msgs.ForEach(func(_, m gjson.Result) bool {
		if i == last {
			k.membersOf(m, func(name string, _ gjson.Result) bool { return name != "content" })
		} else {
			k.valueOf(m)
		}
		i++
		return true
	})
	k.b = append(k.b, ']')
	sum := sha256.Sum256(k.b)
	return hex.EncodeToString(sum[:]), text, true
}

// nth is element n of the array arr, or the zero Result when it has
// fewer.
func nth(arr gjson.Result, n int) gjson.Result {
	var r gjson.Result
	arr.ForEach(func(_, e gjson.Result) bool {
		if n == 0 {
			r = e
			return false
		}
		n--
		return true
	})
	return r
}

// members counts the object v's members named name.
func members(v gjson.Result, name string) int {
	n := 0
	rawjson.Each(v, func(k string, _ gjson.Result) bool {
		if k == name {
			n++
		}
		return true
	})
	return n
}

var textPartKeys = [...]string{"type", "text"}

// userText is a user message's text: its string content, or its text
// parts joined; false when it has other parts (images, audio), which the
// embedding would not see.
func userText(c gjson.Result) (string, bool) {
	if c.Type == gjson.String {
		return c.Str, c.Str != ""
	}
	if !c.IsArray() {
		return "", false
	}
	var b strings.Builder
	ok := true
	c.ForEach(func(_, p gjson.Result) bool {
		// The last of a repeated type or text, as the provider reads it.
		var f [2]gjson.Result
		rawjson.LastFields(p, textPartKeys[:], f[:])
		if f[0].Str != "text" {
			ok = false
			return false
		}
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(f[1].Str)
		return true
	})
	return b.String(), ok && b.Len() > 0
}
