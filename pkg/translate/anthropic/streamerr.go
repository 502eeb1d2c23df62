package anthropic

import (
	"errors"

	"github.com/sluice-gw/sluice/pkg/gwerror"
	"github.com/sluice-gw/sluice/pkg/sse"
	"github.com/sluice-gw/sluice/pkg/translate/openai"
)

var (
	// errStop ends parsing at the end of a message; it never leaves the package.
	errStop      = errors.New("stream complete")
	errMalformed = errors.New("malformed stream event")
)

// eventError is an `error` event from Anthropic.
type eventError struct{ typ, msg string }

func (e *eventError) Error() string { return e.typ + ": " + e.msg }

func streamError(err error) *gwerror.Error {
	var ee *eventError
	switch {
	case errors.As(err, &ee):
		code := gwerror.UpstreamError
		switch ee.typ {
		case "overloaded_error":
			code = gwerror.UpstreamUnavailable
		case "rate_limit_error":
			code = gwerror.RateLimited
		}
		msg := ee.msg
		if msg == "" {
			msg = "provider anthropic reported a stream error"
		}
		return gwerror.New(code, "%s", msg)
	case errors.Is(err, sse.ErrTooLarge):
		return gwerror.Wrap(gwerror.UpstreamError, err, "provider anthropic sent a stream event larger than %d bytes", openai.MaxStreamEventBytes)
	default:
		return gwerror.Wrap(gwerror.UpstreamError, err, "provider anthropic sent a malformed stream event")
	}
}
