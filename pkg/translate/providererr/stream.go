package providererr

import (
	"errors"

	"github.com/sluice-gw/sluice/pkg/gwerror"
	"github.com/sluice-gw/sluice/pkg/sse"
	"github.com/sluice-gw/sluice/pkg/translate"
)

// MaxStreamEventBytes bounds one provider stream event. Real chunks are a
// few hundred bytes; the bound only stops a broken upstream from growing the
// parser's buffer without limit.
const MaxStreamEventBytes = 8 << 20

// MsgStreamEnded is the message of the error event sent when a provider
// stream stops before its terminator.
const MsgStreamEnded = "upstream stream ended unexpectedly"

// ErrMalformedEvent is the cause for a stream event that does not parse.
var ErrMalformedEvent = errors.New("malformed stream event")

// StreamEnded is the error for a provider stream that stopped before its
// terminator.
func StreamEnded() *gwerror.Error {
	return gwerror.New(gwerror.UpstreamError, MsgStreamEnded)
}

// StreamEvent is the error for a provider stream event the parser refused:
// one larger than MaxStreamEventBytes, or one that did not parse.
func StreamEvent(p translate.Provider, err error) *gwerror.Error {
	if errors.Is(err, sse.ErrTooLarge) {
		return gwerror.Wrap(gwerror.UpstreamError, err, "provider %s sent a stream event larger than %d bytes", p, MaxStreamEventBytes)
	}
	return gwerror.Wrap(gwerror.UpstreamError, err, "provider %s sent a malformed stream event", p)
}

// Reported is the error for an error event provider p sent in its stream,
// with the provider's message, or one naming p when it sent none.
func Reported(p translate.Provider, code gwerror.Code, msg string) *gwerror.Error {
	if msg == "" {
		msg = "provider " + string(p) + " reported a stream error"
	}
	return gwerror.New(code, "%s", msg)
}

// StreamFailed is the client's error for err, which ended provider p's
// stream: a *gwerror.Error as it is, anything else an upstream_error.
func StreamFailed(p translate.Provider, err error) *gwerror.Error {
	ge := gwerror.From(err)
	if ge.Code == gwerror.Internal {
		ge = gwerror.Wrap(gwerror.UpstreamError, err, "%s stream could not be read", p)
	}
	return ge
}
