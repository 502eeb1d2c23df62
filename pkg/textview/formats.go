package textview

import "github.com/tidwall/gjson"

// chat reads an OpenAI chat completions body: each message's content (a
// string or text parts), refusals, and the arguments of assistant tool
// calls. Names, ids and images are not text.
func (v *View) chat(root gjson.Result) {
	msgs := root.Get("messages")
	if !msgs.IsArray() {
		return
	}
	v.system = anchor{field: -1, at: msgs.Index + 1, kind: newChatMessage, ok: msgs.Index > 0}
	i := 0
	msgs.ForEach(func(_, m gjson.Result) bool {
		v.chatMessage(m, i)
		i++
		return true
	})
	v.system.hasOne = i > 0
}

func (v *View) chatMessage(m gjson.Result, i int) {
	var role, content, calls, fnCall gjson.Result
	m.ForEach(func(k, val gjson.Result) bool {
		switch k.Str {
		case "role":
			role = val
		case "content":
			content = val
		case "tool_calls":
			calls = val
		case "function_call":
			fnCall = val
		}
		return true
	})
	r := chatRole(role.Str)
	if content.Type == gjson.String {
		if i == 0 && r == System {
			// The operator's prompt is written as a string: a canary goes
			// at its end rather than into a message of its own.
			v.system.field = len(v.Fields)
		}
		v.add(content, r, i)
	} else if content.IsArray() {
		content.ForEach(func(_, part gjson.Result) bool {
			switch part.Get("type").Str {
			case "text":
				v.add(part.Get("text"), r, i)
			case "refusal":
				v.add(part.Get("refusal"), r, i)
			}
			return true
		})
	}
	calls.ForEach(func(_, c gjson.Result) bool {
		v.add(c.Get("function.arguments"), ToolCall, i)
		return true
	})
	if fnCall.IsObject() {
		v.add(fnCall.Get("arguments"), ToolCall, i)
	}
}

func chatRole(role string) Role {
	switch role {
	case "system", "developer":
		return System
	case "assistant":
		return Assistant
	case "tool", "function":
		return ToolResult
	}
	return User
}

// embeddings reads an OpenAI embeddings input: a string or an array of
// strings. Token arrays are not text.
func (v *View) embeddings(root gjson.Result) {
	in := root.Get("input")
	switch {
	case in.Type == gjson.String:
		v.add(in, Input, -1)
	case in.IsArray():
		in.ForEach(func(_, s gjson.Result) bool {
			v.add(s, Input, -1)
			return true
		})
	}
}

// messages reads an Anthropic Messages body: the system prompt, text
// blocks, tool_use inputs (every string leaf) and tool_result contents.
// Thinking blocks are signed by the provider and never edited.
func (v *View) messages(root gjson.Result) {
	var system, msgs gjson.Result
	members := false
	root.ForEach(func(k, val gjson.Result) bool {
		members = true
		switch k.Str {
		case "system":
			system = val
		case "messages":
			msgs = val
		}
		return true
	})
	v.system = anchor{field: -1, at: root.Index + 1, kind: newSystemMember, hasOne: members, ok: true}
	switch {
	case system.Type == gjson.String:
		v.system.field = len(v.Fields)
		v.add(system, System, -1)
	case system.IsArray():
		n := 0
		system.ForEach(func(_, b gjson.Result) bool {
			n++
			if b.Get("type").Str == "text" {
				v.add(b.Get("text"), System, -1)
			}
			return true
		})
		v.system = anchor{field: -1, at: system.Index + len(system.Raw) - 1, kind: newSystemBlock, hasOne: n > 0, ok: true}
	}
	i := 0
	msgs.ForEach(func(_, m gjson.Result) bool {
		r := User
		if m.Get("role").Str == "assistant" {
			r = Assistant
		}
		content := m.Get("content")
		if content.Type == gjson.String {
			v.add(content, r, i)
		} else {
			content.ForEach(func(_, b gjson.Result) bool {
				v.block(b, r, i)
				return true
			})
		}
		i++
		return true
	})
}

// block reads one Anthropic content block.
func (v *View) block(b gjson.Result, r Role, i int) {
	switch b.Get("type").Str {
	case "text":
		v.add(b.Get("text"), r, i)
	case "tool_use":
		v.addLeaves(b.Get("input"), ToolCall, i)
	case "tool_result":
		c := b.Get("content")
		if c.Type == gjson.String {
			v.add(c, ToolResult, i)
			return
		}
		c.ForEach(func(_, inner gjson.Result) bool {
			if inner.Get("type").Str == "text" {
				v.add(inner.Get("text"), ToolResult, i)
			}
			return true
		})
	case "document":
		if src := b.Get("source"); src.Get("type").Str == "text" {
			v.add(src.Get("data"), r, i)
		}
	}
}
