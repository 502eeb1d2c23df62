package fakeprovider

import (
	"net/http/httptest"
	"strings"
	"testing"
)

// Backend names, as Sluice's config spells the provider families.
const (
	BackendOpenAI    = "openai"
	BackendAzure     = "azure_openai"
	BackendAnthropic = "anthropic"
	BackendGemini    = "gemini"
	BackendBedrock   = "bedrock"
)

// Set is one running fake per provider, each on its own loopback port.
type Set struct {
	tb      testing.TB
	fakes   map[string]*Fake
	servers map[string]*httptest.Server
}

// StartAll starts every fake on a plain-HTTP loopback server, stopped when
// the test ends. opts apply to every fake.
func StartAll(tb testing.TB, opts ...Option) *Set {
	tb.Helper()
	s := &Set{tb: tb, fakes: map[string]*Fake{}, servers: map[string]*httptest.Server{}}
	for _, f := range []*Fake{OpenAI(opts...), Azure(opts...), Anthropic(opts...), Gemini(opts...), Bedrock(opts...)} {
		srv := httptest.NewServer(f)
		tb.Cleanup(func() {
			srv.CloseClientConnections() // streams a Slow fault holds open
			srv.Close()
		})
		s.fakes[f.Name()] = f
		s.servers[f.Name()] = srv
	}
	return s
}

// Backends lists the backend names, in a fixed order.
func (s *Set) Backends() []string {
	return []string{BackendOpenAI, BackendAzure, BackendAnthropic, BackendGemini, BackendBedrock}
}

// Fake returns the fake serving backend, failing the test for an unknown
// name.
func (s *Set) Fake(backend string) *Fake {
	s.tb.Helper()
	f, ok := s.fakes[backend]
	if !ok {
		s.tb.Fatalf("fakeprovider: no fake for backend %q", backend)
	}
	return f
}

// Addr returns the host:port backend listens on.
func (s *Set) Addr(backend string) string {
	s.tb.Helper()
	s.Fake(backend)
	return s.servers[backend].Listener.Addr().String()
}

// URL returns the base URL of backend, "http://host:port".
func (s *Set) URL(backend string) string {
	s.tb.Helper()
	s.Fake(backend)
	return s.servers[backend].URL
}

// Addrs maps every backend name to its host:port.
func (s *Set) Addrs() map[string]string {
	m := make(map[string]string, len(s.servers))
	for name, srv := range s.servers {
		m[name] = srv.Listener.Addr().String()
	}
	return m
}

// Env returns the credentials the fakes expect as KEY=value pairs, ready
// to append to an exec.Cmd's environment.
func (s *Set) Env() []string {
	return []string{
		"OPENAI_API_KEY=" + OpenAIKey,
		"AZURE_OPENAI_API_KEY=" + AzureKey,
		"ANTHROPIC_API_KEY=" + AnthropicKey,
		"GEMINI_API_KEY=" + GeminiKey,
		"AWS_ACCESS_KEY_ID=" + AWSAccessKeyID,
		"AWS_SECRET_ACCESS_KEY=" + AWSSecretAccessKey,
		"AWS_REGION=" + AWSRegion,
	}
}

// Reset clears recorded requests and faults on every fake.
func (s *Set) Reset() {
	for _, f := range s.fakes {
		f.Reset()
	}
}

// Forbid makes every fake reject requests carrying any of secrets.
func (s *Set) Forbid(secrets ...string) {
	for _, f := range s.fakes {
		f.Forbid(secrets...)
	}
}

// SetSplit changes how every fake cuts its responses.
func (s *Set) SetSplit(sp Split) {
	for _, f := range s.fakes {
		f.SetSplit(sp)
	}
}

// String lists the backends and addresses, for test logs.
func (s *Set) String() string {
	var sb strings.Builder
	for _, name := range s.Backends() {
		sb.WriteString(name + "=" + s.Addr(name) + " ")
	}
	return strings.TrimSpace(sb.String())
}
