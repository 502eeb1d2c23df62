package textview

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

type got struct {
	Role    string
	Message int
	Text    string
}

func fields(v *View) []got {
	var out []got
	for i, f := range v.Fields {
		out = append(out, got{f.Role.String(), f.Message, v.Text(i)})
	}
	return out
}

func TestFields(t *testing.T) {
	tests := []struct {
		name   string
		format Format
		body   string
		want   []got
	}{
		{
			name:   "chat strings and parts",
			format: ChatCompletions,
			body: `{"model":"m","messages":[
				{"role":"system","content":"be kind"},
				{"role":"developer","content":[{"type":"text","text":"dev"}]},
				{"role":"user","name":"bob@example.com","content":[{"type":"text","text":"hi \"there\""},{"type":"image_url","image_url":{"url":"data:x"}}]},
				{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{\"k\":\"AKIA\"}"}}]},
				{"role":"assistant","content":[{"type":"refusal","refusal":"no"}]},
				{"role":"tool","tool_call_id":"c1","content":"result"}]}`,
			want: []got{
				{"system", 0, "be kind"},
				{"system", 1, "dev"},
				{"user", 2, `hi "there"`},
				{"tool_call", 3, `{"k":"AKIA"}`},
				{"assistant", 4, "no"},
				{"tool_result", 5, "result"},
			},
		},
		{
			name:   "embeddings string",
			format: Embeddings,
			body:   `{"model":"e","input":"one"}`,
			want:   []got{{"input", -1, "one"}},
		},
		{
			name:   "embeddings array and tokens",
			format: Embeddings,
			body:   `{"model":"e","input":["a","b"]}`,
			want:   []got{{"input", -1, "a"}, {"input", -1, "b"}},
		},
		{
			name:   "embeddings token arrays are not text",
			format: Embeddings,
			body:   `{"model":"e","input":[[1,2],[3]]}`,
		},
		{
			name:   "anthropic",
			format: Messages,
			body: `{"model":"c","system":[{"type":"text","text":"sys","cache_control":{"type":"ephemeral"}}],"messages":[
				{"role":"user","content":"q"},
				{"role":"assistant","content":[{"type":"thinking","thinking":"hmm","signature":"s"},{"type":"text","text":"a"},
					{"type":"tool_use","id":"t","name":"n","input":{"q":"x","deep":[{"k":"y"},3,true]}}]},
				{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":[{"type":"text","text":"r1"}]},
					{"type":"tool_result","tool_use_id":"t","content":"r2"},
					{"type":"document","source":{"type":"text","media_type":"text/plain","data":"doc"}}]}]}`,
			want: []got{
				{"system", -1, "sys"},
				{"user", 0, "q"},
				{"assistant", 1, "a"},
				{"tool_call", 1, "x"},
				{"tool_call", 1, "y"},
				{"tool_result", 2, "r1"},
				{"tool_result", 2, "r2"},
				{"user", 2, "doc"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := New(tt.format, []byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, fields(v)); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEdits(t *testing.T) {
	body := `{"model":"m","messages":[{"role":"user","content":"mail a@b.co now"},{"role":"user","content":[{"type":"text","text":"x"}]}],"n":1}`
	v, err := New(ChatCompletions, []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	v.Set(0, "mail <EMAIL_ADDRESS> now\n\"quoted\"")
	out := v.Bytes()
	want := `{"model":"m","messages":[{"role":"user","content":"mail <EMAIL_ADDRESS> now\n\"quoted\""},{"role":"user","content":[{"type":"text","text":"x"}]}],"n":1}`
	if string(out) != want {
		t.Errorf("got  %s\nwant %s", out, want)
	}
}

func TestUneditedBodyIsReturnedAsIs(t *testing.T) {
	body := []byte(`{"model":"m","messages":[{"role":"user","content":"hi"}]}`)
	v, _ := New(ChatCompletions, body)
	if out := v.Bytes(); &out[0] != &body[0] {
		t.Error("Bytes copied an unedited body")
	}
}

func TestAddSystem(t *testing.T) {
	tests := []struct {
		name   string
		format Format
		body   string
		want   string
	}{
		{"chat string system", ChatCompletions,
			`{"messages":[{"role":"system","content":"rules"},{"role":"user","content":"q"}]}`,
			`{"messages":[{"role":"system","content":"rules\n\nCANARY"},{"role":"user","content":"q"}]}`},
		{"chat without system", ChatCompletions,
			`{"messages":[{"role":"user","content":"q"}]}`,
			`{"messages":[{"role":"system","content":"CANARY"},{"role":"user","content":"q"}]}`},
		{"chat with parts system", ChatCompletions,
			`{"messages":[{"role":"system","content":[{"type":"text","text":"r"}]}]}`,
			`{"messages":[{"role":"system","content":"CANARY"},{"role":"system","content":[{"type":"text","text":"r"}]}]}`},
		{"anthropic string system", Messages,
			`{"system":"rules","messages":[]}`,
			`{"system":"rules\n\nCANARY","messages":[]}`},
		{"anthropic block system", Messages,
			`{"system":[{"type":"text","text":"r"}],"messages":[]}`,
			`{"system":[{"type":"text","text":"r"},{"type":"text","text":"CANARY"}],"messages":[]}`},
		{"anthropic empty block system", Messages,
			`{"system":[],"messages":[]}`,
			`{"system":[{"type":"text","text":"CANARY"}],"messages":[]}`},
		{"anthropic without system", Messages,
			` {"model":"c","messages":[]}`,
			` {"system":"CANARY","model":"c","messages":[]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := New(tt.format, []byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if !v.AddSystem("CANARY") {
				t.Fatal("AddSystem = false")
			}
			if got := string(v.Bytes()); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
	v, _ := New(Embeddings, []byte(`{"input":"x"}`))
	if v.AddSystem("CANARY") {
		t.Error("embeddings accepted a system prompt")
	}
}

// chatBody is a conversation of n user messages, each with an email.
func chatBody(n int) []byte {
	var b strings.Builder
	b.WriteString(`{"model":"gpt-4o","messages":[{"role":"system","content":"You are helpful."}`)
	for i := range n {
		fmt.Fprintf(&b, `,{"role":"user","content":"message %d: write to person%d@example.com about the \"plan\" today"}`, i, i)
	}
	b.WriteString(`]}`)
	return []byte(b.String())
}
