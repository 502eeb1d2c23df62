package tokens

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Totals the OpenAI API reported for the cookbook's examples, which the
// cookbook's counting functions reproduce.
func TestEstimateChatCookbook(t *testing.T) {
	messages := readFile(t, "testdata/cookbook_messages.json")
	tools := readFile(t, "testdata/cookbook_tools.json")
	tests := []struct {
		model string
		body  []byte
		want  int
	}{
		{"gpt-4o", messages, 124},
		{"gpt-4o-mini", messages, 124},
		{"gpt-4", messages, 129},
		{"gpt-3.5-turbo", messages, 129},
		{"gpt-4o", tools, 101},
		{"gpt-4o-mini", tools, 101},
		{"gpt-4", tools, 105},
		{"gpt-3.5-turbo", tools, 105},
	}
	var e Estimator
	for _, tt := range tests {
		t.Run(tt.model, func(t *testing.T) {
			got, err := e.EstimateChat(tt.body, ForModel(tt.model))
			if err != nil {
				t.Fatal(err)
			}
			if got.Tokens != tt.want || got.Bound != 0 {
				t.Errorf("EstimateChat = %+v, want %d tokens, exact", got, tt.want)
			}
			if ub := UpperBound(tt.body, ForModel(tt.model)); ub < got.Tokens {
				t.Errorf("UpperBound %d < estimate %d", ub, got.Tokens)
			}
		})
	}
}

// TestEstimateChatParts checks how each part of a request is charged,
// against counts from the reference tokenizer.
func TestEstimateChatParts(t *testing.T) {
	o := func(s string) int { return referenceCount(t, O200k, s) }
	png1024 := encoded(t, "png", 1024, 1024)
	args := `{"city":"Zürich","days":3}`
	schema := `{"name":"answer","schema":{"type":"object","properties":{"a":{"type":"string"}}}}`
	tests := []struct {
		name  string
		model string
		est   Estimator
		body  string
		want  Estimate
	}{{
		name: "one message", model: "gpt-4o",
		body: `{"messages":[{"role":"user","content":"Hello there"}]}`,
		want: Estimate{Text: o("Hello there"), Framing: 3 + o("user") + 3},
	}, {
		name: "name", model: "gpt-4o",
		body: `{"messages":[{"role":"user","name":"bobby_tables","content":"hi"}]}`,
		want: Estimate{Text: o("hi"), Framing: 3 + o("user") + 1 + o("bobby_tables") + 3},
	}, {
		name: "text parts and a data image", model: "gpt-4o",
		body: `{"messages":[{"role":"user","content":[{"type":"text","text":"What is this?"},` +
			`{"type":"image_url","image_url":{"url":"` + png1024 + `","detail":"high"}},{"type":"text","text":"Be brief."}]}]}`,
		want: Estimate{Text: o("What is this?") + o("Be brief."), Framing: 3 + o("user") + 3, Images: 765, ImageCount: 1},
	}, {
		name: "low detail url image", model: "gpt-4o",
		body: `{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"https://x/y.png","detail":"low"}}]}]}`,
		want: Estimate{Framing: 3 + o("user") + 3, Images: 85, ImageCount: 1},
	}, {
		name: "url image at the worst case", model: "gpt-4o",
		body: `{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"https://x/y.png"}}]}]}`,
		want: Estimate{Framing: 3 + o("user") + 3, Images: 1445, ImageCount: 1},
	}, {
		name: "url image at a configured size", model: "gpt-4o", est: Estimator{URLImage: Size{512, 512}},
		body: `{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"https://x/y.png"}}]}]}`,
		want: Estimate{Framing: 3 + o("user") + 3, Images: 255, ImageCount: 1},
	}, {
		name: "tool call and result", model: "gpt-4o",
		body: `{"messages":[{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function",` +
			`"function":{"name":"get_weather","arguments":"{\"city\":\"Zürich\",\"days\":3}"}}]},` +
			`{"role":"tool","tool_call_id":"c1","content":"sunny"}]}`,
		want: Estimate{Text: o("get_weather") + o(args) + o("sunny"),
			Framing: 3 + o("assistant") + 3 + 3 + o("tool") + 3},
	}, {
		name: "response format schema", model: "gpt-4o",
		body: `{"messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_schema","json_schema":` + schema + `}}`,
		want: Estimate{Text: o("x"), Framing: 3 + o("user") + 3, Tools: o(schema)},
	}, {
		name: "claude frames turns, not the system prompt", model: "claude-sonnet-4-5",
		body: `{"messages":[{"role":"system","content":"Be terse."},{"role":"user","content":"Hello there"}]}`,
		want: Estimate{Text: scale(o("Be terse.")+o("Hello there"), anthropicFactor), Framing: 3 + 3, Bound: anthropicBound},
	}, {
		name: "claude tool prompt when a tool is required", model: "claude-sonnet-4-5",
		body: `{"messages":[{"role":"user","content":"go"}],"tool_choice":"required",` +
			`"tools":[{"type":"function","function":{"name":"f","parameters":{}}}]}`,
		want: Estimate{Text: scale(o("go"), anthropicFactor), Framing: 3 + 3,
			Tools: 313 + scale(o(`{"name":"f","parameters":{}}`), anthropicFactor), Bound: anthropicBound},
	}, {
		name: "claude image", model: "claude-sonnet-4-5",
		body: `{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"` + png1024 + `"}}]}]}`,
		want: Estimate{Framing: 3 + 3, Images: 1399, ImageCount: 1, Bound: anthropicBound},
	}, {
		name: "gemini 2 image", model: "gemini-2.5-flash",
		body: `{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"` + png1024 + `"}}]}]}`,
		want: Estimate{Framing: 1, Images: 4 * 258, ImageCount: 1, Bound: geminiBound},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.est.EstimateChat([]byte(tt.body), ForModel(tt.model))
			if err != nil {
				t.Fatal(err)
			}
			tt.want.total()
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("EstimateChat (-want +got):\n%s", diff)
			}
			if ub := UpperBound([]byte(tt.body), ForModel(tt.model)); ub < got.Tokens {
				t.Errorf("UpperBound %d < estimate %d", ub, got.Tokens)
			}
		})
	}
}

func TestEstimateChatErrors(t *testing.T) {
	var e Estimator
	for _, body := range []string{`{}`, `{"messages":{}}`, `[]`, ``, `not json`} {
		if _, err := e.EstimateChat([]byte(body), ForModel("gpt-4o")); !errors.Is(err, ErrBody) {
			t.Errorf("EstimateChat(%q) error = %v, want ErrBody", body, err)
		}
	}
}

func TestEstimateEmbeddings(t *testing.T) {
	c := func(s string) int { return referenceCount(t, CL100k, s) }
	tests := []struct {
		body string
		want int
	}{
		{`{"input":"The food was delicious and the waiter was kind."}`, c("The food was delicious and the waiter was kind.")},
		{`{"input":["first text","second text"]}`, c("first text") + c("second text")},
		{`{"input":[1212, 318, 257]}`, 3},
		{`{"input":[[1212, 318], [257]]}`, 3},
	}
	var e Estimator
	for _, tt := range tests {
		got, err := e.EstimateEmbeddings([]byte(tt.body), ForModel("text-embedding-3-small"))
		if err != nil {
			t.Fatal(err)
		}
		if got.Tokens != tt.want || got.Text != tt.want {
			t.Errorf("EstimateEmbeddings(%s) = %+v, want %d", tt.body, got, tt.want)
		}
	}
	if _, err := e.EstimateEmbeddings([]byte(`{"input":{}}`), ForModel("text-embedding-3-small")); !errors.Is(err, ErrBody) {
		t.Errorf("object input: error = %v, want ErrBody", err)
	}
}

func TestCountText(t *testing.T) {
	var e Estimator
	tests := []struct {
		model string
		want  int
	}{
		{"gpt-4", 6},
		{"gpt-4o", referenceCount(t, O200k, "tiktoken is great!")},
		{"claude-haiku-4-5", scale(referenceCount(t, O200k, "tiktoken is great!"), anthropicFactor)},
	}
	for _, tt := range tests {
		got, err := e.CountText("tiktoken is great!", ForModel(tt.model))
		if err != nil {
			t.Fatal(err)
		}
		if got != tt.want {
			t.Errorf("CountText for %s = %d, want %d", tt.model, got, tt.want)
		}
	}
}

func TestNeeded(t *testing.T) {
	body := []byte(`{"messages":[{"role":"user","content":"` + strings.Repeat("word ", 200) + `"}]}`)
	p := ForModel("gpt-4o")
	if Needed(body, p, len(body)+10) {
		t.Error("Needed with a limit above the body size: want false")
	}
	if !Needed(body, p, 100) {
		t.Error("Needed with a limit below the body size: want true")
	}
	img := []byte(`{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"https://x/y.png"}}]}]}`)
	if !Needed(img, p, 1000) {
		t.Error("Needed for an image worth 1445 tokens under a 1000 limit: want true")
	}
	if got, want := Approx(body), (len(body)+3)/4; got != want {
		t.Errorf("Approx = %d, want %d", got, want)
	}
}

func TestForModel(t *testing.T) {
	tests := []struct {
		model  string
		prefix string
		family Family
		enc    Encoding
	}{
		{"gpt-4o-2024-08-06", "gpt-4o", OpenAI, O200k},
		{"GPT-4o-mini", "gpt-4o-mini", OpenAI, O200k},
		{"openai/gpt-4.1-nano", "gpt-4.1-nano", OpenAI, O200k},
		{"gpt-5", "gpt-5", OpenAI, O200k},
		{"o3-mini", "o3", OpenAI, O200k},
		{"gpt-4-turbo", "gpt-4", OpenAI, CL100k},
		{"gpt-35-turbo", "gpt-35", OpenAI, CL100k},
		{"text-embedding-3-large", "text-embedding-3", OpenAI, CL100k},
		{"claude-sonnet-4-5", "claude", Anthropic, O200k},
		{"us.anthropic.claude-3-7-sonnet-20250219-v1:0", "claude", Anthropic, O200k},
		{"models/gemini-2.5-flash", "gemini-2", Gemini, O200k},
		{"gemini-3-pro-preview", "gemini", Gemini, O200k},
		{"llama-3.1-70b", "", Generic, O200k},
	}
	for _, tt := range tests {
		p := ForModel(tt.model)
		if p.Prefix != tt.prefix || p.Family != tt.family || p.Encoding != tt.enc {
			t.Errorf("ForModel(%q) = %s/%s/%s, want %s/%s/%s", tt.model, p.Prefix, p.Family, p.Encoding, tt.prefix, tt.family, tt.enc)
		}
	}
}

// TestConcurrent runs estimates from many goroutines, sharing the lazily
// built encodings and the pooled piece tables, under the race detector.
func TestConcurrent(t *testing.T) {
	body := chatBody(t, 5000)
	var e Estimator
	want, err := e.EstimateChat(body, ForModel("gpt-4o"))
	if err != nil {
		t.Fatal(err)
	}
	concurrently(t, 8, func(int) error {
		for _, m := range []string{"gpt-4o", "gpt-4", "claude-opus-4-1", "gemini-2.5-pro"} {
			got, err := e.EstimateChat(body, ForModel(m))
			if err != nil {
				return err
			}
			if m == "gpt-4o" && got != want {
				return errors.New("concurrent estimate differs: " + cmp.Diff(want, got))
			}
		}
		return nil
	})
}

// concurrently runs f on n goroutines, numbered from 0, and reports
// their errors.
func concurrently(t *testing.T, n int, f func(g int) error) {
	t.Helper()
	errs := make(chan error, n)
	for g := range n {
		go func() { errs <- f(g) }()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
