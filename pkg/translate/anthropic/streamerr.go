package anthropic

import (
	"errors"

	"github.com/sluice-gw/sluice/pkg/gwerror"
	"github.com/sluice-gw/sluice/pkg/translate/providererr"
)

// errStop ends parsing at the end of a message; it never leaves the package.
var errStop = errors.New("stream complete")

// eventError is an `error` event from Anthropic.
type eventError struct{ typ, msg string }

func (e *eventError) Error() string { return e.typ + ": " + e.msg }

func streamError(err error) *gwerror.Error {
	var ee *eventError
	if !errors.As(err, &ee) {
		return providererr.StreamEvent(provider, err)
	}
	code := gwerror.UpstreamError
	switch ee.typ {
	case "overloaded_error":
		code = gwerror.UpstreamUnavailable
	case "rate_limit_error":
		code = gwerror.RateLimited
	}
	return providererr.Reported(provider, code, ee.msg)
}
