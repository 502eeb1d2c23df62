package openai

import (
	"testing"

	"github.com/tidwall/gjson"

	"github.com/sluice-gw/sluice/pkg/translate"
	"github.com/sluice-gw/sluice/pkg/translate/translatetest"
)

// TestSeedCorpora keeps the committed fuzz seeds in step with the fixtures.
func TestSeedCorpora(t *testing.T) {
	for _, c := range translatetest.LoadRequestCases(t, "testdata/request") {
		translatetest.SeedCorpus(t, "FuzzRequest", c.Name, c.Request.Body, c.Request.Stream, c.Request.IncludeUsage, c.Target.Provider == translate.AzureOpenAI)
	}
	for _, c := range translatetest.LoadResponseCases(t, "testdata/response") {
		translatetest.SeedCorpus(t, "FuzzResponse", c.Name, c.Response)
	}
	for _, c := range translatetest.LoadStreamCases(t, "testdata/stream") {
		translatetest.SeedCorpus(t, "FuzzStream", c.Name, c.Input, c.Request.IncludeUsage)
	}
}

func FuzzRequest(f *testing.F) {
	f.Add([]byte(`{"model":"x","messages":[]}`), true, false, false)
	f.Fuzz(func(t *testing.T, body []byte, stream, includeUsage, azure bool) {
		p := translate.OpenAI
		if azure {
			p = translate.AzureOpenAI
		}
		req := &translate.Request{Op: translate.Chat, Body: body, Stream: stream, IncludeUsage: includeUsage}
		target := &translate.Target{Provider: p, Model: "target-model", Credential: translate.Credential{APIKey: "k"}}
		up, err := New(p).Request(req, target)
		if err != nil || !gjson.ValidBytes(body) {
			return
		}
		if !gjson.ValidBytes(up.Body) {
			t.Fatalf("valid body %q became invalid %q", body, up.Body)
		}
		if m := gjson.GetBytes(up.Body, "model"); m.String() != "target-model" {
			t.Fatalf("model = %s in %q", m.Raw, up.Body)
		}
		if stream && !includeUsage && !gjson.GetBytes(up.Body, "stream_options.include_usage").Bool() {
			t.Fatalf("include_usage not injected: %q", up.Body)
		}
	})
}

func FuzzResponse(f *testing.F) {
	f.Add([]byte(`{"usage":{"prompt_tokens":1}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		resp, err := New(translate.OpenAI).Response(&translate.Request{}, body)
		if err == nil && string(resp.Body) != string(body) {
			t.Fatalf("body changed")
		}
	})
}

func FuzzStream(f *testing.F) {
	f.Add([]byte("data: {\"choices\":[]}\n\ndata: [DONE]\n\n"), false)
	f.Fuzz(func(t *testing.T, input []byte, includeUsage bool) {
		req := &translate.Request{Op: translate.Chat, Stream: true, IncludeUsage: includeUsage}
		tr := New(translate.OpenAI)
		newStream := func() translate.StreamTranslator { return tr.Stream(req) }
		whole := translatetest.SplitsAgree(t, newStream, input, translatetest.QuickSplits(input, 1)...)
		translatetest.CheckEvents(t, whole.Out)
	})
}
