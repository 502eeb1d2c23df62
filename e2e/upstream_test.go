package e2e

import (
	"bytes"
	"strings"
	"testing"

	"github.com/tidwall/gjson"

	fp "github.com/sluice-gw/sluice/e2e/fakeprovider"
)

// checkCredential asserts the provider received its own credential, in
// its own header, and nothing of the client's. The fakes already reject a
// wrong key and the client key; this says which header carried what.
func checkCredential(t *testing.T, backend string, r fp.Request) {
	t.Helper()
	want := map[string]string{
		fp.BackendOpenAI:    "Authorization",
		fp.BackendAzure:     "Api-Key",
		fp.BackendAnthropic: "X-Api-Key",
		fp.BackendGemini:    "X-Goog-Api-Key",
		fp.BackendBedrock:   "Authorization",
	}[backend]
	got := r.Header.Get(want)
	switch backend {
	case fp.BackendOpenAI:
		if got != "Bearer "+fp.OpenAIKey {
			t.Errorf("openai authorization = %q, want the OpenAI key as a bearer token", got)
		}
	case fp.BackendAzure:
		if got != fp.AzureKey {
			t.Errorf("azure api-key = %q, want the Azure key", got)
		}
	case fp.BackendAnthropic:
		if got != fp.AnthropicKey {
			t.Errorf("anthropic x-api-key = %q, want the Anthropic key", got)
		}
	case fp.BackendGemini:
		if got != fp.GeminiKey && r.Query.Get("key") != fp.GeminiKey {
			t.Errorf("gemini x-goog-api-key = %q (query key %q), want the Gemini key", got, r.Query.Get("key"))
		}
	case fp.BackendBedrock:
		if !strings.HasPrefix(got, "AWS4-HMAC-SHA256 Credential="+fp.AWSAccessKeyID+"/") {
			t.Errorf("bedrock authorization = %q, want a SigV4 signature by %s", got, fp.AWSAccessKeyID)
		}
	}
	for _, h := range []string{"Authorization", "Api-Key", "X-Api-Key", "X-Goog-Api-Key", "Proxy-Authorization"} {
		if h != want && r.Header.Get(h) != "" {
			t.Errorf("%s received a %s header it does not read: %q", backend, h, r.Header.Get(h))
		}
	}
	for name, vs := range r.Header {
		for _, v := range vs {
			if strings.Contains(v, clientKey) {
				t.Errorf("%s received the client key in header %s", backend, name)
			}
		}
	}
	if strings.Contains(r.Query.Encode(), clientKey) || bytes.Contains(r.Body, []byte(clientKey)) {
		t.Errorf("%s received the client key in the query or body", backend)
	}
}

// checkChatRoute asserts the request reached p's chat endpoint for its
// upstream model, streamed or not.
func checkChatRoute(t *testing.T, p provider, r fp.Request, stream bool) {
	t.Helper()
	body := gjson.ParseBytes(r.Body)
	wantPath := ""
	switch p.backend {
	case fp.BackendOpenAI:
		wantPath = "/v1/chat/completions"
	case fp.BackendAzure:
		wantPath = "/openai/deployments/" + p.deployment + "/chat/completions"
		if v := r.Query.Get("api-version"); v != azureAPIVersion {
			t.Errorf("azure api-version = %q, want %q", v, azureAPIVersion)
		}
	case fp.BackendAnthropic:
		wantPath = "/v1/messages"
		if r.Header.Get("Anthropic-Version") == "" {
			t.Errorf("anthropic request without an anthropic-version header")
		}
	case fp.BackendGemini:
		method := ":generateContent"
		if stream {
			method = ":streamGenerateContent"
			if r.Query.Get("alt") != "sse" {
				t.Errorf("gemini stream query = %q, want alt=sse", r.Query.Encode())
			}
		}
		wantPath = "/v1beta/models/" + p.upstream + method
	case fp.BackendBedrock:
		wantPath = "/model/" + p.upstream + "/converse"
		if stream {
			wantPath += "-stream"
		}
		if want := "bedrock-runtime." + fp.AWSRegion + ".amazonaws.com"; r.Host != want {
			t.Errorf("bedrock host = %q, want %q (the host SigV4 signed)", r.Host, want)
		}
	}
	// Gemini serves the same methods under /v1 and /v1beta.
	geminiV1 := p.backend == fp.BackendGemini && r.Path == strings.Replace(wantPath, "/v1beta/", "/v1/", 1)
	if r.Path != wantPath && !geminiV1 {
		t.Errorf("%s path = %q, want %q", p.backend, r.Path, wantPath)
	}
	switch p.backend {
	case fp.BackendOpenAI, fp.BackendAnthropic:
		if got := body.Get("model").String(); got != p.upstream {
			t.Errorf("%s body model = %q, want the upstream model %q", p.backend, got, p.upstream)
		}
		if got := body.Get("stream").Bool(); got != stream {
			t.Errorf("%s body stream = %v, want %v", p.backend, got, stream)
		}
	case fp.BackendAzure:
		if got := body.Get("stream").Bool(); got != stream {
			t.Errorf("azure body stream = %v, want %v", got, stream)
		}
	}
}
