package bedrock

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/tidwall/gjson"

	"github.com/sluice-gw/sluice/pkg/gwerror"
	"github.com/sluice-gw/sluice/pkg/translate/providererr"
	"github.com/sluice-gw/sluice/pkg/translate/rawjson"
)

// Error maps Bedrock's non-2xx replies: the exception name comes from the
// x-amzn-ErrorType header ("ThrottlingException:http://...") or the body's
// __type, the text from the body's message.
func (t *translator) Error(status int, header http.Header, body []byte) error {
	name, _, _ := strings.Cut(header.Get("X-Amzn-Errortype"), ":")
	var msg string
	if rawjson.Valid(body) {
		r := gjson.ParseBytes(body)
		msg = r.Get("message").Str
		if msg == "" {
			msg = r.Get("Message").Str
		}
		if name == "" {
			typ := r.Get("__type").Str
			name = typ[strings.LastIndexByte(typ, '#')+1:]
		}
	}
	if name == "" && msg == "" && !providererr.KeepsMeaning(status) {
		// Not a Bedrock error: a proxy or load balancer answered. Only the
		// retryable statuses keep their meaning.
		return providererr.Unreadable(provider, status)
	}
	return awsError(status, name, msg, header)
}

// awsError maps one exception; status 0 means it arrived inside a stream.
func awsError(status int, name, msg string, header http.Header) *gwerror.Error {
	if msg == "" {
		msg = strings.TrimSpace(name + " (HTTP " + strconv.Itoa(status) + ")")
	}
	cause := errors.New("bedrock: " + name + ": " + msg)
	switch strings.ToLower(strings.TrimSuffix(name, "Exception")) {
	case "throttling", "servicequotaexceeded", "toomanyrequests":
		return providererr.WithRetryAfter(gwerror.New(gwerror.RateLimited, "bedrock rate limit or quota exceeded: %s", msg), header)
	case "validation":
		return gwerror.New(gwerror.InvalidRequest, "bedrock rejected the request: %s", msg)
	case "accessdenied", "unrecognizedclient", "invalidsignature", "expiredtoken", "incompletesignature",
		"missingauthenticationtoken", "invalidclienttokenid", "signaturedoesnotmatch", "unauthorized":
		// The message names IAM principals and account ids; it is logged
		// through the cause, not shown.
		return gwerror.Wrap(gwerror.UpstreamError, cause,
			"bedrock rejected the gateway's AWS credential for this backend (%s)", name)
	case "resourcenotfound":
		return gwerror.Wrap(gwerror.UpstreamError, cause, "bedrock could not find the configured model: %s", msg)
	case "modelnotready", "serviceunavailable":
		return providererr.WithRetryAfter(gwerror.New(gwerror.UpstreamError, "bedrock is unavailable: %s", msg), header)
	case "modeltimeout":
		return gwerror.New(gwerror.UpstreamTimeout, "bedrock timed out: %s", msg)
	case "modelerror", "internalserver", "modelstreamerror":
		return gwerror.Wrap(gwerror.UpstreamError, cause, "bedrock upstream error: %s", msg)
	}
	return byStatus(status, msg, cause, header)
}

func byStatus(status int, msg string, cause error, header http.Header) *gwerror.Error {
	switch {
	case status == http.StatusTooManyRequests:
		return providererr.WithRetryAfter(gwerror.New(gwerror.RateLimited, "bedrock rate limit exceeded: %s", msg), header)
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return gwerror.Wrap(gwerror.UpstreamError, cause,
			"bedrock rejected the gateway's AWS credential for this backend (HTTP %d)", status)
	case status == http.StatusRequestEntityTooLarge:
		return gwerror.New(gwerror.BodyTooLarge, "bedrock rejected the request as too large: %s", msg)
	case status == http.StatusServiceUnavailable:
		return providererr.WithRetryAfter(gwerror.New(gwerror.UpstreamError, "bedrock is unavailable: %s", msg), header)
	case status == http.StatusGatewayTimeout:
		return gwerror.New(gwerror.UpstreamTimeout, "bedrock timed out: %s", msg)
	case status >= 400 && status < 500 && status != http.StatusNotFound:
		return gwerror.New(gwerror.InvalidRequest, "bedrock rejected the request: %s", msg)
	}
	return gwerror.Wrap(gwerror.UpstreamError, cause, "bedrock upstream error: %s", msg)
}
