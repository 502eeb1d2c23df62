package tokens

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestEstimateMessagesParts checks how each part of an Anthropic body is
// charged, against counts from the reference tokenizer, for Claude and
// for an OpenAI model serving the body translated.
func TestEstimateMessagesParts(t *testing.T) {
	o := func(s string) int { return referenceCount(t, O200k, s) }
	claude := func(n int) int { return scale(n, anthropicFactor) }
	png := encoded(t, "png", 200, 100)
	pngData := png[strings.IndexByte(png, ',')+1:]
	tool := `{"name":"f","description":"Find it.","input_schema":{"type":"object","properties":{"q":{"type":"string","description":"What."}}}}`
	pdf := strings.Repeat("JVBERi0xLjcK", 100)
	tests := []struct {
		name  string
		model string
		body  string
		want  Estimate
	}{{
		name: "system and a turn, Claude", model: "claude-sonnet-4-5",
		body: `{"system":"Be terse.","messages":[{"role":"user","content":"Hello there"}]}`,
		want: Estimate{Text: claude(o("Be terse.") + o("Hello there")), Framing: 3 + 3, Bound: anthropicBound},
	}, {
		name: "system blocks and a turn, gpt-4o", model: "gpt-4o",
		body: `{"system":[{"type":"text","text":"Be terse.","cache_control":{"type":"ephemeral"}}],"messages":[{"role":"user","content":"Hello there"}]}`,
		want: Estimate{Text: o("Be terse.") + o("Hello there"), Framing: 3 + o("system") + 3 + o("user") + 3},
	}, {
		name: "text, thinking, tool use and its result", model: "claude-sonnet-4-5",
		body: `{"messages":[{"role":"assistant","content":[{"type":"thinking","thinking":"Look it up.","signature":"x"},` +
			`{"type":"text","text":"Checking."},{"type":"tool_use","id":"t1","name":"lookup","input":{"q":"Zürich"}}]},` +
			`{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":[{"type":"text","text":"sunny"}]}]}]}`,
		want: Estimate{Text: claude(o("Look it up.") + o("Checking.") + o("lookup") + o(`{"q":"Zürich"}`) + o("sunny")),
			Framing: 3 + 3 + 3 + 3, Bound: anthropicBound},
	}, {
		name: "a base64 image", model: "claude-sonnet-4-5",
		body: `{"messages":[{"role":"user","content":[{"type":"image","source":{"type":"base64","media_type":"image/png","data":"` + pngData + `"}}]}]}`,
		want: Estimate{Framing: 3 + 3, Images: (200*100 + 749) / 750, ImageCount: 1, Bound: anthropicBound},
	}, {
		name: "an image by URL, at the rule's largest charge", model: "claude-sonnet-4-5",
		body: `{"messages":[{"role":"user","content":[{"type":"image","source":{"type":"url","url":"https://x/y.png"}}]}]}`,
		want: Estimate{Framing: 3 + 3, Images: 1600, ImageCount: 1, Bound: anthropicBound},
	}, {
		name: "documents", model: "claude-sonnet-4-5",
		body: `{"messages":[{"role":"user","content":[{"type":"document","source":{"type":"base64","media_type":"application/pdf","data":"` + pdf + `"}},` +
			`{"type":"document","source":{"type":"text","media_type":"text/plain","data":"Plain words."}}]}]}`,
		want: Estimate{Text: claude(o("Plain words.")) + len(pdf)/4, Framing: 3 + 3, Bound: anthropicBound},
	}, {
		name: "Claude's tool prompt when a tool is required", model: "claude-sonnet-4-5",
		body: `{"messages":[{"role":"user","content":"go"}],"tool_choice":{"type":"any"},"tools":[` + tool + `]}`,
		want: Estimate{Text: claude(o("go")), Framing: 3 + 3, Tools: 313 + claude(o(tool)), Bound: anthropicBound},
	}, {
		name: "tools as functions for gpt-4o", model: "gpt-4o",
		body: `{"messages":[{"role":"user","content":"go"}],"tools":[` + tool + `]}`,
		want: Estimate{Text: o("go"), Framing: 3 + o("user") + 3,
			Tools: 7 + o("f:Find it") + 3 + 3 + o("q:string:What") + 12},
	}}
	var e Estimator
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := e.EstimateMessagesFor([]byte(tt.body), ForModel(tt.model), "")
			if err != nil {
				t.Fatal(err)
			}
			tt.want.total()
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("EstimateMessagesFor (-want +got):\n%s", diff)
			}
			if ub := UpperBound([]byte(tt.body), ForModel(tt.model)); ub < got.Tokens {
				t.Errorf("UpperBound %d < estimate %d", ub, got.Tokens)
			}
		})
	}
}

// TestEstimateChatFile: an inline file is charged by its size, so a PDF
// cannot slip past an input-token limit.
func TestEstimateChatFile(t *testing.T) {
	data := strings.Repeat("JVBERi0xLjcK", 100)
	body := `{"messages":[{"role":"user","content":[{"type":"file","file":{"filename":"a.pdf","file_data":"data:application/pdf;base64,` + data + `"}}]}]}`
	var e Estimator
	got, err := e.EstimateChat([]byte(body), ForModel("gpt-4o"))
	if err != nil {
		t.Fatal(err)
	}
	if want := len(data) / 4; got.Text != want {
		t.Errorf("file charged %d tokens, want %d", got.Text, want)
	}
}

// TestEstimateRepeatedMembers: a member repeated in a message or a part
// is counted as the provider reads it, the last one, so a short first
// text cannot hide a long second one from a token limit.
func TestEstimateRepeatedMembers(t *testing.T) {
	long := strings.Repeat("word ", 2000)
	var e Estimator
	for _, tt := range []struct {
		name, body, plain string
		messages          bool // Anthropic Messages rather than chat
	}{
		{"turn content", `{"messages":[{"role":"user","content":"hi","content":"` + long + `"}]}`,
			`{"messages":[{"role":"user","content":"` + long + `"}]}`, true},
		{"block text", `{"messages":[{"role":"user","content":[{"type":"text","text":"hi","text":"` + long + `"}]}]}`,
			`{"messages":[{"role":"user","content":[{"type":"text","text":"` + long + `"}]}]}`, true},
		{"chat part text", `{"messages":[{"role":"user","content":[{"type":"text","text":"hi","text":"` + long + `"}]}]}`,
			`{"messages":[{"role":"user","content":[{"type":"text","text":"` + long + `"}]}]}`, false},
		{"chat part type", `{"messages":[{"role":"user","content":[{"type":"refusal","text":"` + long + `","type":"text"}]}]}`,
			`{"messages":[{"role":"user","content":[{"text":"` + long + `","type":"text"}]}]}`, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			estimate := func(body string) Estimate {
				var got Estimate
				var err error
				if tt.messages {
					got, err = e.EstimateMessagesFor([]byte(body), ForModel("claude-sonnet-4"), "")
				} else {
					got, err = e.EstimateChat([]byte(body), ForModel("gpt-4o"))
				}
				if err != nil {
					t.Fatal(err)
				}
				return got
			}
			if got, want := estimate(tt.body), estimate(tt.plain); got.Text != want.Text {
				t.Errorf("text tokens %d, want the last member's %d", got.Text, want.Text)
			}
		})
	}
}
