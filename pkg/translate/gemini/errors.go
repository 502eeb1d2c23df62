package gemini

import (
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tidwall/gjson"

	"github.com/sluice-gw/sluice/pkg/gwerror"
	"github.com/sluice-gw/sluice/pkg/translate/providererr"
	"github.com/sluice-gw/sluice/pkg/translate/rawjson"
)

// Error maps Gemini's {"error":{"code","message","status"}} replies.
// streamGenerateContent without alt=sse wraps it in an array; both forms
// are read.
func (t *translator) Error(status int, header http.Header, body []byte) error {
	var e gjson.Result
	if rawjson.Valid(body) {
		r := gjson.ParseBytes(body)
		if r.IsArray() {
			r = r.Get("0")
		}
		e = r.Get("error")
	}
	if e.IsObject() {
		return errorFromJSON(status, header, e)
	}
	// Not Gemini's error shape: a proxy or load balancer answered. Only the
	// retryable statuses keep their meaning.
	if providererr.KeepsMeaning(status) {
		return errorFromJSON(status, header, gjson.Parse(`{}`))
	}
	return providererr.Unreadable(provider, status)
}

// errorFromJSON builds the client error. status 0 means "take error.code",
// as for errors that arrive inside a stream.
func errorFromJSON(status int, header http.Header, e gjson.Result) *gwerror.Error {
	if status == 0 {
		status = int(e.Get("code").Int())
	}
	gs := e.Get("status").Str
	msg := e.Get("message").Str
	if msg == "" {
		msg = "HTTP " + strconv.Itoa(status)
		if gs != "" {
			msg += " " + gs
		}
	}
	cause := errors.New("gemini: HTTP " + strconv.Itoa(status) + " " + gs + ": " + msg)
	switch {
	case status == http.StatusTooManyRequests || gs == "RESOURCE_EXHAUSTED":
		return withRetryAfter(gwerror.New(gwerror.RateLimited, "gemini rate limit or quota exceeded: %s", msg), header, e)
	case status == http.StatusUnauthorized || status == http.StatusForbidden ||
		gs == "UNAUTHENTICATED" || gs == "PERMISSION_DENIED" || keyRejected(e):
		// The client's own credentials were checked by the gateway; this
		// is the gateway's key for the backend, which the client cannot fix.
		return gwerror.Wrap(gwerror.UpstreamError, cause,
			"gemini rejected the gateway's credential for this backend (HTTP %d)", status)
	case gs == "FAILED_PRECONDITION":
		return gwerror.Wrap(gwerror.UpstreamError, cause, "gemini cannot serve this backend: %s", msg)
	case status == http.StatusNotFound || gs == "NOT_FOUND":
		return gwerror.Wrap(gwerror.UpstreamError, cause, "gemini could not find the configured model: %s", msg)
	case status == http.StatusRequestEntityTooLarge:
		return gwerror.New(gwerror.BodyTooLarge, "gemini rejected the request as too large: %s", msg)
	case status == http.StatusServiceUnavailable || gs == "UNAVAILABLE":
		return withRetryAfter(gwerror.New(gwerror.UpstreamError, "gemini is unavailable: %s", msg), header, e)
	case status == http.StatusGatewayTimeout || gs == "DEADLINE_EXCEEDED":
		return gwerror.New(gwerror.UpstreamTimeout, "gemini timed out: %s", msg)
	case status >= 500 || status < 400:
		return gwerror.Wrap(gwerror.UpstreamError, cause, "gemini upstream error (HTTP %d): %s", status, msg)
	default:
		return gwerror.New(gwerror.InvalidRequest, "gemini rejected the request: %s", msg)
	}
}

// withRetryAfter keeps the provider's retry hint: the Retry-After header
// when present, else the RetryInfo detail in the body, rounded up to seconds.
func withRetryAfter(err *gwerror.Error, header http.Header, e gjson.Result) *gwerror.Error {
	if v := header.Get("Retry-After"); v != "" {
		return err.WithHeader("retry-after", v)
	}
	var after string
	e.Get("details").ForEach(func(_, d gjson.Result) bool {
		if !strings.HasSuffix(d.Get("@type").Str, "google.rpc.RetryInfo") {
			return true
		}
		if dur, perr := time.ParseDuration(d.Get("retryDelay").Str); perr == nil && dur > 0 {
			after = strconv.FormatInt(int64(math.Ceil(dur.Seconds())), 10)
		}
		return false
	})
	if after == "" {
		return err
	}
	return err.WithHeader("retry-after", after)
}

// keyRejected spots Gemini's 400 INVALID_ARGUMENT for a bad API key, which
// is about the gateway's credential, not the client's request.
func keyRejected(e gjson.Result) bool {
	rejected := false
	e.Get("details").ForEach(func(_, d gjson.Result) bool {
		rejected = strings.HasPrefix(d.Get("reason").Str, "API_KEY_")
		return !rejected
	})
	return rejected || strings.HasPrefix(e.Get("message").Str, "API key not valid")
}
