// Package textview is the text view of a request body: every field a
// person or a model wrote text into, found in one gjson read, each with its
// role and a way to replace it. Edits are applied in one rebuild that
// copies the untouched bytes through, so a body with hundreds of messages
// costs one pass however many fields change, and every field that was not
// edited stays byte for byte what the client sent.
//
// Clients speak OpenAI (chat completions, embeddings) or Anthropic
// (Messages); those are the formats here. Gemini and Bedrock shapes only
// ever exist upstream of the translators, never inbound, so they have no
// view.
package textview

import (
	"errors"
	"slices"
	"unsafe"

	"github.com/tidwall/gjson"

	"github.com/sluice-gw/sluice/pkg/translate/rawjson"
)

// Format is an inbound body format.
type Format uint8

// The formats Sluice accepts from clients.
const (
	ChatCompletions Format = iota + 1 // OpenAI /v1/chat/completions
	Embeddings                        // OpenAI /v1/embeddings
	Messages                          // Anthropic /v1/messages
)

// Role says whose text a field holds, which decides how much it is
// trusted: the operator writes the system prompt, the user and tools are
// outside it.
type Role uint8

// The roles of text fields.
const (
	System     Role = iota + 1 // system or developer prompt
	User                       // a user message
	Assistant                  // an earlier assistant turn
	ToolCall                   // arguments a model wrote for a tool call
	ToolResult                 // what a tool returned
	Input                      // an embeddings input
)

var roleNames = [...]string{"", "system", "user", "assistant", "tool_call", "tool_result", "input"}

func (r Role) String() string {
	if int(r) < len(roleNames) {
		return roleNames[r]
	}
	return "unknown"
}

// Field is one text-bearing JSON string of the body.
type Field struct {
	Role Role
	// Message is the index of the message the field belongs to; -1 for
	// fields outside messages (Anthropic's system, embeddings input).
	Message int
	// Text is the decoded string. It aliases the body when the JSON string
	// has no escapes, so it must not outlive the body.
	Text string
	// start and end delimit the JSON string literal, quotes included.
	start, end int
}

// ErrNotObject is returned for a body that is not a JSON object.
var ErrNotObject = errors.New("textview: body is not a JSON object")

// View is the text view of one body. The zero value is ready for Reset; a
// View may be reused for another body after Reset.
type View struct {
	Fields []Field

	body   []byte
	format Format
	texts  []string // replacement text per field, when set
	set    []bool
	// inserts are raw JSON added at a position (a system prompt where
	// there was none).
	inserts []insert
	// system is where AddSystem puts text.
	system anchor
}

type insert struct {
	at  int
	raw []byte
}

// anchor says where a system text goes: appended to a field, inserted as a
// raw JSON fragment, or nowhere (embeddings).
type anchor struct {
	field  int  // index into Fields, or -1
	at     int  // position of a raw insertion, when field < 0
	kind   byte // what to insert at `at`
	hasOne bool // the array or object at `at` already has members
	ok     bool
}

// Anchor kinds of a raw insertion.
const (
	newChatMessage  = 'm' // {"role":"system","content":...}, at the start of messages
	newSystemMember = 's' // "system":..., at the start of the root object
	newSystemBlock  = 'b' // {"type":"text","text":...}, at the end of the system array
)

// New reads body once and returns its text view. body must be valid JSON,
// as the parse stage checks; it is never modified.
func New(f Format, body []byte) (*View, error) {
	v := &View{}
	return v, v.Reset(f, body)
}

// Reset makes v the view of another body, keeping its allocations.
func (v *View) Reset(f Format, body []byte) error {
	// Cleared, not only truncated: a reused view must not keep the last
	// body's text alive.
	clear(v.Fields)
	clear(v.texts)
	clear(v.inserts)
	v.Fields = v.Fields[:0]
	v.texts, v.set = v.texts[:0], v.set[:0]
	v.inserts = v.inserts[:0]
	v.body, v.format = body, f
	v.system = anchor{field: -1}
	// The body is never modified, so strings decoded without escapes can
	// alias it instead of being copied.
	root := gjson.Parse(unsafe.String(unsafe.SliceData(body), len(body))) //nolint:gosec // read-only alias; see above
	if !root.IsObject() {
		return ErrNotObject
	}
	switch f {
	case ChatCompletions:
		v.chat(root)
	case Embeddings:
		v.embeddings(root)
	case Messages:
		v.messages(root)
	}
	return nil
}

// Len is the number of text fields.
func (v *View) Len() int { return len(v.Fields) }

// Text is field i's current text: its replacement when one was set.
func (v *View) Text(i int) string {
	if i < len(v.set) && v.set[i] {
		return v.texts[i]
	}
	return v.Fields[i].Text
}

// Set replaces field i's text.
func (v *View) Set(i int, text string) {
	if len(v.set) < len(v.Fields) {
		v.texts = append(v.texts, make([]string, len(v.Fields)-len(v.texts))...)
		v.set = append(v.set, make([]bool, len(v.Fields)-len(v.set))...)
	}
	v.texts[i], v.set[i] = text, true
}

// AddSystem adds text to the system prompt: after the existing prompt when
// the body has one written as a string, or as a prompt of its own. It
// reports false when the format has no system prompt (embeddings).
func (v *View) AddSystem(text string) bool {
	a := v.system
	switch {
	case !a.ok:
		return false
	case a.field >= 0:
		cur := v.Text(a.field)
		if cur != "" {
			cur += "\n\n"
		}
		v.Set(a.field, cur+text)
		return true
	}
	var raw []byte
	switch a.kind {
	case newChatMessage:
		raw = append(raw, `{"role":"system","content":`...)
		raw = rawjson.AppendString(raw, text)
		raw = append(raw, '}')
		if a.hasOne {
			raw = append(raw, ',')
		}
	case newSystemMember:
		raw = append(raw, `"system":`...)
		raw = rawjson.AppendString(raw, text)
		if a.hasOne {
			raw = append(raw, ',')
		}
	case newSystemBlock:
		if a.hasOne {
			raw = append(raw, ',')
		}
		raw = append(raw, `{"type":"text","text":`...)
		raw = rawjson.AppendString(raw, text)
		raw = append(raw, '}')
	}
	v.inserts = append(v.inserts, insert{at: a.at, raw: raw})
	return true
}

// Edited reports whether Bytes would differ from the body.
func (v *View) Edited() bool {
	return len(v.inserts) > 0 || slices.Contains(v.set, true)
}

// splice is one change to the body, in body order.
type splice struct {
	start, end int
	field      int // -1 for an insert
	raw        []byte
}

// Bytes returns the body with every edit applied, built in one pass. With
// no edits it returns the body itself.
func (v *View) Bytes() []byte {
	if !v.Edited() {
		return v.body
	}
	sp := make([]splice, 0, len(v.inserts)+8)
	grow := 0
	for i, ok := range v.set {
		if ok {
			f := &v.Fields[i]
			sp = append(sp, splice{start: f.start, end: f.end, field: i})
			grow += len(v.texts[i]) + 2 - (f.end - f.start)
		}
	}
	for _, in := range v.inserts {
		sp = append(sp, splice{start: in.at, end: in.at, field: -1, raw: in.raw})
		grow += len(in.raw)
	}
	slices.SortStableFunc(sp, func(a, b splice) int { return a.start - b.start })
	out := make([]byte, 0, len(v.body)+max(grow, 0)+len(sp)*8)
	last := 0
	for _, s := range sp {
		if s.start < last {
			continue // a field listed twice: its first edit stands
		}
		out = append(out, v.body[last:s.start]...)
		if s.field >= 0 {
			out = rawjson.AppendString(out, v.texts[s.field])
		} else {
			out = append(out, s.raw...)
		}
		last = s.end
	}
	return append(out, v.body[last:]...)
}

// add records a JSON string value as a text field.
func (v *View) add(r gjson.Result, role Role, msg int) {
	if r.Type != gjson.String {
		return
	}
	end := r.Index + len(r.Raw)
	if r.Index <= 0 || end > len(v.body) || string(v.body[r.Index:end]) != r.Raw {
		return // no known position: cannot be edited in place
	}
	v.Fields = append(v.Fields, Field{Role: role, Message: msg, Text: r.Str, start: r.Index, end: end})
}

// addLeaves records every string leaf of a JSON value (a tool's input
// object) as text. It walks with its own stack, so a deeply nested value
// cannot exhaust the goroutine's.
func (v *View) addLeaves(r gjson.Result, role Role, msg int) {
	stack := []gjson.Result{r}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		switch {
		case n.Type == gjson.String:
			v.add(n, role, msg)
		case n.IsObject() || n.IsArray():
			mark := len(stack)
			n.ForEach(func(_, c gjson.Result) bool {
				stack = append(stack, c)
				return true
			})
			slices.Reverse(stack[mark:]) // keep document order
		}
	}
}
