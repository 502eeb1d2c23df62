// Package bedrock translates Sluice's OpenAI-shaped chat completions to
// Amazon Bedrock's Converse and ConverseStream APIs, signs each request
// with AWS Signature Version 4, and turns Converse replies, the binary
// application/vnd.amazon.eventstream stream and Bedrock errors back into
// the OpenAI shape.
//
// Request bodies are read with gjson and the upstream body is built with
// appends; nothing on the hot path unmarshals a whole body into structs.
package bedrock

import (
	"crypto/rand"
	"strings"
	"time"

	"github.com/sluice-gw/sluice/pkg/gwerror"
	"github.com/sluice-gw/sluice/pkg/translate"
)

const (
	provider      = translate.Bedrock
	jsonType      = "application/json"
	streamType    = "application/vnd.amazon.eventstream"
	chatIDPrefix  = "chatcmpl-"
	signedService = "bedrock"
)

// Option adjusts a translator. Tests use options to fix time and ids so
// golden output, signatures included, is stable.
type Option func(*translator)

// WithClock sets the clock used for SigV4 signing time and `created`.
func WithClock(now func() time.Time) Option {
	return func(t *translator) { t.now = now }
}

// WithIDs sets the source of the random part of completion ids. next must
// be safe for concurrent use.
func WithIDs(next func() string) Option {
	return func(t *translator) { t.newID = next }
}

type translator struct {
	now   func() time.Time
	newID func() string
}

// New returns the Bedrock translator.
func New(opts ...Option) translate.Translator {
	t := &translator{now: time.Now, newID: rand.Text}
	for _, o := range opts {
		o(t)
	}
	return t
}

func (t *translator) StreamContentType() string { return streamType }

func (t *translator) Request(req *translate.Request, tg *translate.Target) (*translate.Upstream, error) {
	switch req.Op {
	case translate.Chat:
	case translate.Embeddings:
		// Converse has no embeddings operation, and Bedrock's embedding
		// models each take their own InvokeModel body.
		return nil, gwerror.New(gwerror.UnsupportedParam,
			"embeddings are not supported by provider bedrock (the Converse API has no embeddings operation)")
	default:
		return nil, gwerror.New(gwerror.InvalidRequest, "operation %s is not supported by provider bedrock", req.Op)
	}
	body, err := chatBody(req.Body)
	if err != nil {
		return nil, err
	}
	op := "/converse"
	if req.Stream {
		op = "/converse-stream"
	}
	up := &translate.Upstream{
		Method: "POST",
		Path:   strings.TrimSuffix(tg.BasePath, "/") + "/model/" + escapeSegment(tg.Model) + op,
		Body:   body,
	}
	if err := t.sign(up, tg); err != nil {
		return nil, err
	}
	return up, nil
}

// escapeSegment percent-encodes everything but RFC 3986 unreserved
// characters, as the AWS SDKs do for the model id (inference profile ARNs
// carry ':' and '/').
func escapeSegment(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
			c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&0xf])
	}
	return b.String()
}

func (t *translator) Response(req *translate.Request, body []byte) (*translate.Response, error) {
	if req.Op != translate.Chat {
		return nil, gwerror.New(gwerror.Internal, "operation %s has no Bedrock response translation", req.Op)
	}
	return t.chatResponse(req, body)
}

func (t *translator) Stream(req *translate.Request) translate.StreamTranslator {
	return newStream(t, req)
}
