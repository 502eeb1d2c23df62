package mockmodel

import (
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tidwall/gjson"

	"github.com/sluice-gw/sluice/pkg/sse"
)

// events parses an SSE body into its data payloads.
func events(t *testing.T, body string) []string {
	t.Helper()
	var p sse.Parser
	var out []string
	err := p.Feed([]byte(body), func(ev sse.Event) error {
		out = append(out, string(ev.Data))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if p.Pending() {
		t.Fatalf("stream ends mid-event: %q", body)
	}
	return out
}

func TestStreamMatchesNonStream(t *testing.T) {
	tests := []struct {
		name, body string
	}{
		{"text", `{"model":"m","messages":[{"role":"user","content":"héllo wörld 🌊 and more words"}]}`},
		{"tool call", `{"model":"m","messages":[{"role":"user","content":"x"}],"tools":[` + weatherTool + `]}`},
		{"json", `{"model":"m","messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_object"}}`},
	}
	for _, tt := range tests {
		for _, usage := range []bool{false, true} {
			name := tt.name
			if usage {
				name += " with usage"
			}
			t.Run(name, func(t *testing.T) {
				_, plain := do(t, http.MethodPost, "/v1/chat/completions", tt.body)
				streamBody := strings.TrimSuffix(tt.body, "}") + `,"stream":true`
				if usage {
					streamBody += `,"stream_options":{"include_usage":true}`
				}
				status, body := do(t, http.MethodPost, "/v1/chat/completions", streamBody+"}")
				if status != http.StatusOK {
					t.Fatalf("status %d: %s", status, body)
				}
				checkStream(t, events(t, body), plain, usage)
			})
		}
	}
}

func checkStream(t *testing.T, evs []string, plain string, usage bool) {
	t.Helper()
	if n := len(evs); n < 4 || evs[n-1] != "[DONE]" {
		t.Fatalf("stream must end in [DONE] after at least three chunks: %q", evs)
	}
	evs = evs[:len(evs)-1]
	if got := gjson.Get(evs[0], "choices.0.delta.role").String(); got != "assistant" {
		t.Errorf("first chunk role = %q", got)
	}
	var content, args strings.Builder
	finish := ""
	id := gjson.Get(evs[0], "id").String()
	for i, ev := range evs {
		c := gjson.Parse(ev)
		if c.Get("object").String() != "chat.completion.chunk" || c.Get("id").String() != id {
			t.Errorf("chunk %d has wrong object or id: %s", i, ev)
		}
		if u := c.Get("usage"); usage != u.Exists() {
			t.Errorf("chunk %d: usage present = %v, want %v", i, u.Exists(), usage)
		}
		content.WriteString(c.Get("choices.0.delta.content").String())
		args.WriteString(c.Get("choices.0.delta.tool_calls.0.function.arguments").String())
		if f := c.Get("choices.0.finish_reason").String(); f != "" {
			finish = f
		}
	}
	msg := gjson.Get(plain, "choices.0.message")
	if content.String() != msg.Get("content").String() {
		t.Errorf("content = %q, want %q", content.String(), msg.Get("content").String())
	}
	if args.String() != msg.Get("tool_calls.0.function.arguments").String() {
		t.Errorf("arguments = %q, want %q", args.String(), msg.Get("tool_calls.0.function.arguments").String())
	}
	if want := gjson.Get(plain, "choices.0.finish_reason").String(); finish != want {
		t.Errorf("finish_reason = %q, want %q", finish, want)
	}
	last := gjson.Parse(evs[len(evs)-1])
	if usage {
		if len(last.Get("choices").Array()) != 0 || last.Get("usage").Raw != gjson.Get(plain, "usage").Raw {
			t.Errorf("usage chunk = %s, want empty choices and %s", last.Raw, gjson.Get(plain, "usage").Raw)
		}
	} else if last.Get("usage").Exists() {
		t.Errorf("usage chunk sent without include_usage")
	}
}

func TestWords(t *testing.T) {
	text := "Mock reply to: héllo  wörld 🌊"
	got := words(text)
	if strings.Join(got, "") != text || len(got) != 6 {
		t.Errorf("words(%q) = %q", text, got)
	}
	ps := pieces("ab🌊cdé", 3)
	if strings.Join(ps, "") != "ab🌊cdé" {
		t.Errorf("pieces lose bytes: %q", ps)
	}
	for _, p := range ps {
		if !utf8.ValidString(p) {
			t.Errorf("piece %q splits a rune", p)
		}
	}
}
