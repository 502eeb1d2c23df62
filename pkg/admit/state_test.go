package admit_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"image"
	pngenc "image/png"
	"math"
	"testing"

	"github.com/sluice-gw/sluice/pkg/admit"
	"github.com/sluice-gw/sluice/pkg/gwerror"
	"github.com/sluice-gw/sluice/pkg/pipeline"
	"github.com/sluice-gw/sluice/pkg/tokens"
	"github.com/sluice-gw/sluice/pkg/translate"
)

// A reload must not hand out a fresh minute of quota.
func TestReloadKeepsCounters(t *testing.T) {
	snap := snapshot(t, limitsCfg)
	st, _, stage := newStage(t, snap)
	for range 2 {
		if err := stage.OnRequest(context.Background(), exchange(snap, caller(), 0)); err != nil {
			t.Fatal(err)
		}
	}
	next := snapshot(t, limitsCfg+`
budgets:
  - {name: acme-daily, scope: tenant, id: acme, period: daily, limit: "5"}
`)
	if err := st.Reload(context.Background(), next); err != nil {
		t.Fatal(err)
	}
	if st.Budgets() == nil {
		t.Fatal("budgets not applied")
	}
	if err := stage.OnRequest(context.Background(), exchange(next, caller(), 0)); code(err) != gwerror.RateLimited {
		t.Errorf("third request after a reload: %v, want 429", err)
	}
}

func TestTokenizer(t *testing.T) {
	body := []byte(`{"model":"gpt-4o","messages":[{"role":"system","content":"You are terse."},{"role":"user","content":"What is the capital of France?"}]}`)
	tests := []struct {
		name string
		api  pipeline.API
		body []byte
		want func(n int64) bool
	}{
		{"chat is tokenized", pipeline.APIChat, body, func(n int64) bool { return n > 10 && n < int64(tokens.Approx(body)) }},
		{"embeddings", pipeline.APIEmbeddings, []byte(`{"model":"e","input":["hello world","again"]}`), func(n int64) bool { return n == 3 }},
		{"an Anthropic body that cannot be read falls back to bytes/4", pipeline.APIMessages, []byte(`{"model":"m","messages":{}}`), func(n int64) bool { return n == 7 }},
		{"a body it cannot read falls back", pipeline.APIChat, []byte(`{"model":"m"}`), func(n int64) bool { return n == 4 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := &pipeline.Exchange{API: tt.api, Request: translate.Request{Body: tt.body}}
			if n := (&admit.Tokenizer{}).InputTokens(x, "gpt-4o"); !tt.want(n) {
				t.Errorf("estimate %d", n)
			}
		})
	}
}

// TestTokenizerMessages: an Anthropic-native body is tokenized, within
// the Claude family's bound of the counts Anthropic's count_tokens
// examples publish for these very bodies, and an inline PDF is charged by
// its size, so documents cannot slip past input-token limits.
func TestTokenizerMessages(t *testing.T) {
	tool := `{"name":"get_weather","description":"Get the current weather in a given location","input_schema":` +
		`{"type":"object","properties":{"location":{"type":"string","description":"The city and state, e.g. San Francisco, CA"}},` +
		`"required":["location"]}}`
	tests := []struct {
		name string
		body string
		want int // Anthropic's count
	}{
		{"system and message", `{"model":"claude-sonnet-4-5","system":"You are a scientist",` +
			`"messages":[{"role":"user","content":"Hello, Claude"}]}`, 14},
		{"tool", `{"model":"claude-sonnet-4-5","tools":[` + tool + `],` +
			`"messages":[{"role":"user","content":"What's the weather like in San Francisco?"}]}`, 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := &pipeline.Exchange{API: pipeline.APIMessages, Request: translate.Request{Body: []byte(tt.body)}}
			got := (&admit.Tokenizer{}).InputTokens(x, "claude-sonnet-4-5")
			rel := float64(got-int64(tt.want)) / float64(tt.want)
			t.Logf("estimated %d, Anthropic counted %d, error %+.1f%%", got, tt.want, 100*rel)
			if bound := tokens.ForModel("claude-sonnet-4-5").Bound; math.Abs(rel) > bound {
				t.Errorf("error %+.1f%% exceeds the documented bound ±%.0f%%", 100*rel, 100*bound)
			}
		})
	}
	t.Run("pdf", func(t *testing.T) {
		pdf := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte("%PDF-1.7 stream "), 4096))
		body := `{"model":"claude-sonnet-4-5","messages":[{"role":"user","content":[{"type":"document",` +
			`"source":{"type":"base64","media_type":"application/pdf","data":"` + pdf + `"}},{"type":"text","text":"Summarise."}]}]}`
		x := &pipeline.Exchange{API: pipeline.APIMessages, Identity: caller(), Request: translate.Request{Body: []byte(body)}}
		if got, least := (&admit.Tokenizer{}).InputTokens(x, "claude-sonnet-4-5"), int64(len(pdf)/4); got < least {
			t.Errorf("a %d-byte base64 PDF estimated at %d tokens, want at least %d", len(pdf), got, least)
		}
	})
}

// TestTokenizerMessagesImage: an image block is charged by the served
// model's image rule, as the chat request's image part would be.
func TestTokenizerMessagesImage(t *testing.T) {
	var png bytes.Buffer
	if err := pngenc.Encode(&png, image.NewGray(image.Rect(0, 0, 200, 100))); err != nil {
		t.Fatal(err)
	}
	text := `{"type":"text","text":"What is this?"}`
	img := `{"type":"image","source":{"type":"base64","media_type":"image/png","data":"` +
		base64.StdEncoding.EncodeToString(png.Bytes()) + `"}}`
	count := func(content string) int64 {
		body := `{"model":"claude-sonnet-4-5","messages":[{"role":"user","content":[` + content + `]}]}`
		x := &pipeline.Exchange{API: pipeline.APIMessages, Request: translate.Request{Body: []byte(body)}}
		return (&admit.Tokenizer{}).InputTokens(x, "claude-sonnet-4-5")
	}
	// Claude charges ceil(w*h/750) for an image this small.
	if got, want := count(text+","+img)-count(text), int64((200*100+749)/750); got != want {
		t.Errorf("the image added %d tokens, want %d", got, want)
	}
}

// TestTokenizerReusesThePolicyCount: admission takes the count made for
// the policy only while the body and the model are the ones counted.
func TestTokenizerReusesThePolicyCount(t *testing.T) {
	snap := snapshot(t, limitsCfg)
	tok := &admit.Tokenizer{}
	x := exchange(snap, caller(), 0)
	up := admit.ServedBy(x).Upstream
	want := (&admit.Tokenizer{}).InputTokens(exchange(snap, caller(), 0), up)
	if got := tok.ForPolicy(x); got != want || x.Tokens.Tokens != want || x.Tokens.Upstream != up {
		t.Fatalf("ForPolicy = %d, kept %+v; want %d for %s", got, x.Tokens, want, up)
	}
	// A marked count shows whether admission counted again.
	const marked = 999_999
	x.Tokens.Tokens = marked
	if got := tok.InputTokens(x, up); got != marked {
		t.Errorf("same body and model: %d, want the policy's count", got)
	}
	for _, c := range []struct {
		name   string
		change func(x *pipeline.Exchange) string // returns the upstream asked for
	}{
		{"another model", func(*pipeline.Exchange) string { return "claude-sonnet-4-5" }},
		{"a new body", func(x *pipeline.Exchange) string {
			x.Request.Body = bytes.Replace(x.Request.Body, []byte("hello there"), []byte("hello there, [EMAIL]"), 1)
			return up
		}},
		{"the body changed in place", func(x *pipeline.Exchange) string {
			x.Request.Body[bytes.Index(x.Request.Body, []byte("hello"))] = 'j'
			return up
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			x := exchange(snap, caller(), 0)
			x.Request.Body = bytes.Clone(x.Request.Body)
			tok.ForPolicy(x)
			x.Tokens.Tokens = marked
			model := c.change(x)
			if got := tok.InputTokens(x, model); got == marked || got <= 0 {
				t.Errorf("InputTokens = %d, want a new count", got)
			}
		})
	}
	models := &pipeline.Exchange{API: pipeline.APIModels, Config: snap}
	if got := tok.ForPolicy(models); got != 0 || models.Tokens != (pipeline.TokenCount{}) {
		t.Errorf("GET /v1/models: ForPolicy = %d, kept %+v; want nothing counted", got, models.Tokens)
	}
}
