package openai

import (
	"testing"

	"github.com/tidwall/gjson"

	"github.com/sluice-gw/sluice/pkg/translate"
	"github.com/sluice-gw/sluice/pkg/translate/rawjson"
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
	f.Add([]byte(`{"usage":{"prompt_tokens":1,"completion_tokens":2.5e1,"prompt_tokens_details":{"cached_tokens":-0}},"usage":1}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		resp, err := New(translate.OpenAI).Response(&translate.Request{}, body)
		if want := gjson.ValidBytes(body) && isObject(body); (err == nil) != want {
			t.Fatalf("Response(%q) error %v, want an error: %v", body, err, !want)
		}
		if err != nil {
			return
		}
		if string(resp.Body) != string(body) {
			t.Fatalf("body changed")
		}
		if want := gjsonUsage(gjson.GetBytes(body, "usage")); resp.Usage != want {
			t.Fatalf("Response(%q) usage %+v, want %+v", body, resp.Usage, want)
		}
	})
}

// gjsonUsage is the usage as gjson's own walk reads it.
func gjsonUsage(u gjson.Result) translate.Usage {
	var out translate.Usage
	if !u.IsObject() {
		return out
	}
	u.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "prompt_tokens":
			out.InputTokens = v.Int()
		case "completion_tokens":
			out.OutputTokens = v.Int()
		case "prompt_tokens_details":
			out.CachedInputTokens = v.Get("cached_tokens").Int()
		case "completion_tokens_details":
			out.ReasoningTokens = v.Get("reasoning_tokens").Int()
		}
		return true
	})
	return out
}

// FuzzHasChoices checks hasChoices against gjson's "choices.0" on the
// members Select finds (Select itself is fuzzed in rawjson).
func FuzzHasChoices(f *testing.F) {
	for _, s := range []string{`{"choices":[]}`, `{"choices":[{}],"usage":null}`, `{"choices":null,"usage":{"total_tokens":3}}`,
		`{"choices":{"0":1}}`, `{"choices":"x","error":{"message":"m"},"error":1}`, `[{"choices":[1]}]`, `{"choices":[1]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var top chunkMembers
		if _, ok := rawjson.Select(data, chunkKeys, top[:]); !ok {
			return
		}
		if want := gjson.GetBytes(data, "choices.0").Exists(); top.hasChoices() != want {
			t.Fatalf("hasChoices(%q) = %v, want %v", data, !want, want)
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
