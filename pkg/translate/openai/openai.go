// Package openai translates requests for the OpenAI API family: OpenAI
// itself, Azure OpenAI and OpenAI-compatible servers such as vLLM, Ollama or
// LM Studio. Sluice's front door already speaks OpenAI, so translation is
// mostly path and auth: the body is forwarded byte-for-byte except for the
// model name and, on streams, stream_options.include_usage so that every
// stream can be metered.
package openai

import (
	"net/http"
	"sync/atomic"

	"github.com/sluice-gw/sluice/pkg/translate"
	"github.com/sluice-gw/sluice/pkg/translate/providererr"
)

// Paths and defaults.
const (
	defaultBasePath        = "/v1"
	defaultAzureBasePath   = "/openai"
	chatSuffix             = "/chat/completions"
	embeddingsSuffix       = "/embeddings"
	DefaultAzureAPIVersion = "2024-10-21" // GA, and the first GA version with stream_options
	streamContentType      = "text/event-stream"
)

// translator serves all requests of a provider kind. Its only state is
// the upstream headers of the credentials it has used.
type translator struct {
	provider translate.Provider
	// auth maps an API key to its upstream headers, shared read-only by
	// the requests that use it. It is replaced, never changed: keys are
	// few (one per backend) and change only when an operator rotates one.
	auth atomic.Pointer[map[string][]translate.Header]
}

// maxAuth bounds how many keys' headers a translator keeps, so rotating
// keys for ever cannot grow it without limit.
const maxAuth = 64

// New returns the translator for p, which should be translate.OpenAI,
// translate.AzureOpenAI or translate.OpenAICompatible. Any other value is
// treated as an OpenAI-compatible server.
func New(p translate.Provider) translate.Translator {
	switch p {
	case translate.OpenAI, translate.AzureOpenAI:
	default:
		p = translate.OpenAICompatible
	}
	return &translator{provider: p}
}

func (tr *translator) StreamContentType() string { return streamContentType }

func (tr *translator) Error(status int, header http.Header, body []byte) error {
	return providererr.FromReply(tr.provider, status, header, body)
}

func (tr *translator) Stream(req *translate.Request) translate.StreamTranslator {
	return newStream(tr.provider, req)
}
