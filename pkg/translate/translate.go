// Package translate defines the contract between Sluice's OpenAI-shaped
// front door and each provider's own API. A provider package (openai,
// anthropic, gemini, bedrock) implements Translator; it runs last on the
// request, building the upstream path, body and auth, and first on the
// response, turning provider bytes and stream events back into the OpenAI
// shape the client asked for.
//
// Translators never parse whole bodies into structs on the hot path: they
// read with gjson and build with sjson or direct appends.
//
// What is the same for every provider is written once: oaiwire reads
// OpenAI requests and writes OpenAI replies, providererr decides what the
// client sees when a provider fails, deltatext joins stream text deltas
// without breaking a character, rawjson appends JSON, and translatetest is
// the golden-file harness their tests share.
package translate

import "net/http"

// Provider names a provider API family. The strings are the values users
// write in config (`provider: anthropic`).
type Provider string

// The provider families Sluice speaks.
const (
	OpenAI           Provider = "openai"
	AzureOpenAI      Provider = "azure_openai"
	Anthropic        Provider = "anthropic"
	Gemini           Provider = "gemini"
	Bedrock          Provider = "bedrock"
	OpenAICompatible Provider = "openai_compatible"
)

// Operation is what the client asked for, independent of provider.
type Operation int

// Operations Sluice can translate.
const (
	Chat Operation = iota + 1
	Embeddings
)

func (o Operation) String() string {
	switch o {
	case Chat:
		return "chat"
	case Embeddings:
		return "embeddings"
	}
	return "unknown"
}

// Target says which provider deployment serves a request and how to
// authenticate to it. It is resolved from config before translation.
type Target struct {
	Provider Provider
	Backend  string // the config backend name, also the Envoy routing value
	Model    string // the upstream model name (after alias resolution)

	// Host is the upstream authority; Bedrock signs it, others may ignore it.
	Host string
	// BasePath prefixes provider paths, e.g. "/v1" for an OpenAI-compatible
	// server mounted at the root, or "/openai" for Azure.
	BasePath string
	// APIVersion is Azure's api-version query value or Anthropic's
	// anthropic-version header.
	APIVersion string
	// Deployment is the Azure deployment name; empty means Model.
	Deployment string
	// Region is the AWS region for Bedrock.
	Region string

	Credential Credential
}

// Credential is a resolved secret. It is never logged.
type Credential struct {
	APIKey string
	// AWS credentials for Bedrock SigV4.
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
}

// Request is the inbound request after parsing. Body is always an OpenAI
// request body (chat completions or embeddings); Anthropic-native clients
// are converted at the edge.
type Request struct {
	Op     Operation
	Body   []byte
	Stream bool
	// IncludeUsage reports whether the client itself asked for
	// stream_options.include_usage. Translators that inject it to meter the
	// stream must strip the extra usage chunk when this is false.
	IncludeUsage bool
}

// Upstream is what Envoy forwards to the provider.
type Upstream struct {
	Method string // empty means POST
	Path   string // :path, including any query string
	Body   []byte
	// Headers are set (replacing any client value) on the upstream request.
	// Auth headers go here; the extproc layer strips the client's own
	// credentials separately.
	Headers []Header
}

// Header is one header to set.
type Header struct{ Key, Value string }

// Usage is token usage as reported by the provider.
type Usage struct {
	InputTokens       int64
	OutputTokens      int64
	CachedInputTokens int64 // read from a prompt cache
	CacheWriteTokens  int64 // written to a prompt cache (Anthropic)
	ReasoningTokens   int64 // included in OutputTokens where the provider reports it so
	// Estimated is true when the provider never reported usage and the
	// numbers were counted from what was sent.
	Estimated bool
}

// Response is a provider's non-streamed reply translated to OpenAI shape.
type Response struct {
	Body  []byte
	Usage Usage
}

// Translator converts one provider's API. Implementations are stateless and
// safe for concurrent use; per-stream state lives in StreamTranslator.
type Translator interface {
	// Request builds the upstream request. An error is a *gwerror.Error;
	// a parameter the provider cannot honour is a 400 naming the parameter
	// and the provider, never silently dropped.
	Request(req *Request, t *Target) (*Upstream, error)
	// Response translates a complete 2xx non-streamed body.
	Response(req *Request, body []byte) (*Response, error)
	// Error turns a non-2xx provider reply into a client error. The returned
	// *gwerror.Error carries the provider's message.
	Error(status int, header http.Header, body []byte) error
	// Stream starts translating one streamed response.
	Stream(req *Request) StreamTranslator
	// StreamContentType is the content type of a streamed provider reply
	// ("text/event-stream", or Bedrock's event-stream type).
	StreamContentType() string
}

// StreamTranslator converts one response stream. Feed receives provider
// bytes split at arbitrary offsets and returns OpenAI-format SSE bytes to
// send to the client, possibly none. On the final call (end true) it
// flushes; if the provider stream ended before completing, it returns a
// final SSE error event in the output and a non-nil error for accounting.
//
// Feed's output is read, or copied, before the next call: it may be the
// translator's own buffer, written again by the next Feed, or the chunk
// itself, which Envoy's next message replaces in the same way.
type StreamTranslator interface {
	Feed(chunk []byte, end bool) ([]byte, error)
	Usage() Usage
}
