// Package anthropic translates between Sluice's OpenAI-shaped API and
// Anthropic's Messages API, in both directions:
//
//   - New returns the provider translator: OpenAI chat requests become
//     Messages requests, and Messages responses and stream events become
//     OpenAI chat completions and chunks.
//   - FromMessages, ToMessagesResponse and NewMessagesStream serve clients
//     that speak the Messages API natively when the provider is not
//     Anthropic: their request becomes an OpenAI chat request, and the OpenAI
//     reply goes back as a Message.
//   - PassthroughRequest, PassthroughResponse and NewPassthroughStream serve
//     native Messages clients when the provider is Anthropic too: the body
//     is forwarded, and only the model, path, auth and metering are touched.
//
// Anything the target format cannot express is refused with a 400 naming
// the parameter, never dropped silently. See README.md for the full map.
package anthropic

import (
	"net/http"
	"time"

	"github.com/sluice-gw/sluice/pkg/translate"
	"github.com/sluice-gw/sluice/pkg/translate/providererr"
)

const (
	// DefaultVersion is the anthropic-version header sent when the target
	// sets no APIVersion.
	DefaultVersion = "2023-06-01"
	// DefaultMaxTokens is sent when the client sets neither max_tokens nor
	// max_completion_tokens: Anthropic requires a limit, OpenAI does not.
	// 4096 is the largest output every current Claude model accepts.
	DefaultMaxTokens = 4096

	provider          = translate.Anthropic
	defaultBasePath   = "/v1"
	streamContentType = "text/event-stream"
)

type translator struct {
	now func() time.Time // the `created` timestamp; fixed in tests
}

// New returns the Anthropic provider translator.
func New() translate.Translator { return &translator{now: time.Now} }

func (tr *translator) StreamContentType() string { return streamContentType }

// Error maps an Anthropic error reply ({"type":"error","error":{...}}) with
// providererr.FromReply, as for the OpenAI family, so statuses mean the
// same thing.
func (tr *translator) Error(status int, header http.Header, body []byte) error {
	return providererr.FromReply(provider, status, header, body)
}

func (tr *translator) Stream(req *translate.Request) translate.StreamTranslator {
	return newStream(req, tr.now())
}
