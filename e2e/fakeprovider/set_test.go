package fakeprovider

import (
	"net"
	"slices"
	"testing"

	"github.com/sluice-gw/sluice/pkg/translate"
)

func TestBackendNamesMatchConfig(t *testing.T) {
	pairs := map[string]translate.Provider{
		BackendOpenAI: translate.OpenAI, BackendAzure: translate.AzureOpenAI, BackendAnthropic: translate.Anthropic,
		BackendGemini: translate.Gemini, BackendBedrock: translate.Bedrock,
	}
	for name, p := range pairs {
		if name != string(p) {
			t.Errorf("backend %q, config provider %q", name, p)
		}
	}
}

func TestStartAll(t *testing.T) {
	set := StartAll(t)
	addrs := set.Addrs()
	for _, b := range set.Backends() {
		if set.Fake(b).Name() != b {
			t.Errorf("Fake(%q) is %q", b, set.Fake(b).Name())
		}
		host, _, err := net.SplitHostPort(addrs[b])
		if err != nil || host != "127.0.0.1" || set.Addr(b) != addrs[b] || set.URL(b) != "http://"+addrs[b] {
			t.Errorf("%s: addr %q url %q", b, addrs[b], set.URL(b))
		}
	}
	for _, kv := range []string{"OPENAI_API_KEY=" + OpenAIKey, "AWS_SECRET_ACCESS_KEY=" + AWSSecretAccessKey} {
		if !slices.Contains(set.Env(), kv) {
			t.Errorf("Env() lacks %s", kv)
		}
	}
}
