// Package gemini translates Sluice's OpenAI-shaped chat completions and
// embeddings to Google's Gemini API (generateContent, streamGenerateContent
// with alt=sse, batchEmbedContents) and turns Gemini's replies, stream
// events and errors back into the OpenAI shape.
//
// Request bodies are read with gjson and the upstream body is built with
// appends; nothing on the hot path unmarshals a whole body into structs.
package gemini

import (
	"crypto/rand"
	"net/url"
	"strings"
	"time"

	"github.com/sluice-gw/sluice/pkg/gwerror"
	"github.com/sluice-gw/sluice/pkg/translate"
)

const (
	provider       = translate.Gemini
	defaultBase    = "/v1beta"
	authHeader     = "x-goog-api-key"
	jsonType       = "application/json"
	streamType     = "text/event-stream"
	maxCandidates  = 16 // Gemini allows at most 8; anything past this is malformed
	chatIDPrefix   = "chatcmpl-"
	toolCallPrefix = "call_"
)

// Option adjusts a translator. Tests use options to fix time and ids so
// golden output is stable.
type Option func(*translator)

// WithClock sets the source of the `created` timestamps.
func WithClock(now func() time.Time) Option {
	return func(t *translator) { t.now = now }
}

// WithIDs sets the source of the random part of completion and tool call
// ids. next must be safe for concurrent use.
func WithIDs(next func() string) Option {
	return func(t *translator) { t.newID = next }
}

type translator struct {
	now   func() time.Time
	newID func() string
}

// New returns the Gemini translator.
func New(opts ...Option) translate.Translator {
	t := &translator{now: time.Now, newID: rand.Text}
	for _, o := range opts {
		o(t)
	}
	return t
}

func (t *translator) StreamContentType() string { return streamType }

func (t *translator) Request(req *translate.Request, tg *translate.Target) (*translate.Upstream, error) {
	if tg.Credential.APIKey == "" {
		return nil, gwerror.New(gwerror.Internal, "backend %q has no Gemini API key", tg.Backend)
	}
	var (
		body   []byte
		method string
		err    error
	)
	switch req.Op {
	case translate.Chat:
		body, err = t.chatBody(req.Body, tg.Model)
		method = "generateContent"
		if req.Stream {
			method = "streamGenerateContent"
		}
	case translate.Embeddings:
		body, err = embeddingsBody(req.Body, tg.Model)
		method = "batchEmbedContents"
	default:
		return nil, gwerror.New(gwerror.InvalidRequest, "operation %s is not supported by provider gemini", req.Op)
	}
	if err != nil {
		return nil, err
	}
	path := modelPath(tg) + ":" + method
	if req.Op == translate.Chat && req.Stream {
		path += "?alt=sse"
	}
	return &translate.Upstream{
		Method: "POST",
		Path:   path,
		Body:   body,
		Headers: []translate.Header{
			{Key: authHeader, Value: tg.Credential.APIKey},
			{Key: "content-type", Value: jsonType},
		},
	}, nil
}

// modelPath is {BasePath}/models/{model}. A configured "models/" prefix is
// tolerated because Gemini's own docs write model names that way.
func modelPath(tg *translate.Target) string {
	base := strings.TrimSuffix(tg.BasePath, "/")
	if base == "" {
		base = defaultBase
	}
	model := strings.TrimPrefix(tg.Model, "models/")
	return base + "/models/" + url.PathEscape(model)
}

// modelName is the resource name Gemini wants inside embedding requests.
func modelName(model string) string {
	return "models/" + strings.TrimPrefix(model, "models/")
}

func (t *translator) Response(req *translate.Request, body []byte) (*translate.Response, error) {
	switch req.Op {
	case translate.Chat:
		return t.chatResponse(req, body)
	case translate.Embeddings:
		return embeddingsResponse(req, body)
	}
	return nil, gwerror.New(gwerror.Internal, "operation %s has no Gemini response translation", req.Op)
}

func (t *translator) Stream(req *translate.Request) translate.StreamTranslator {
	return newStream(t, req)
}
