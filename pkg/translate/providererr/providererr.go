// Package providererr decides what the client sees when a provider fails:
// a non-2xx reply, a stream cut short, or a stream event that is too large
// or malformed. Every translator answers in OpenAI's shape, so a provider
// failure means the same thing whichever provider served the request.
// Translators with a richer error vocabulary (Gemini's status names,
// Bedrock's exception types) map those themselves and share the pieces
// here.
package providererr

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/tidwall/gjson"

	"github.com/sluice-gw/sluice/pkg/gwerror"
	"github.com/sluice-gw/sluice/pkg/translate"
	"github.com/sluice-gw/sluice/pkg/translate/rawjson"
)

// maxRawMessage bounds how much of a non-JSON error body reaches the client.
const maxRawMessage = 256

// FromReply turns a non-2xx provider reply into the error the client sees:
//
//   - 401/403: the provider refused Sluice's own credential. The client did
//     nothing wrong, so this is a 502 whose message never repeats the
//     provider's (OpenAI echoes part of the key).
//   - 429: 429 rate_limit_exceeded, keeping retry-after and the rate-limit
//     headers so clients back off correctly.
//   - 5xx (and Anthropic's 529): 502 upstream_error with the provider's message.
//   - other 4xx with a JSON body: the provider's status and message.
//   - a 4xx body that is not JSON came from something other than the model
//     API (a proxy, a wrong base path): 502.
func FromReply(p translate.Provider, status int, h http.Header, body []byte) *gwerror.Error {
	msg, isJSON := message(body)
	if msg == "" {
		msg = fmt.Sprintf("provider %s returned HTTP %d", p, status)
	}
	var e *gwerror.Error
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return gwerror.New(gwerror.UpstreamError,
			"provider %s rejected the gateway's credentials (HTTP %d); check the backend's API key", p, status)
	case status == http.StatusTooManyRequests:
		e = &gwerror.Error{Code: gwerror.RateLimited, Status: status, Message: msg}
	case status >= 500:
		e = &gwerror.Error{Code: gwerror.UpstreamError, Message: msg}
	case status < 400:
		return gwerror.New(gwerror.UpstreamError, "provider %s returned unexpected HTTP %d", p, status)
	case !isJSON:
		return gwerror.New(gwerror.UpstreamError, "provider %s returned HTTP %d with a non-JSON body: %s", p, status, msg)
	default:
		e = clientError(status, body, msg)
	}
	if status == http.StatusTooManyRequests || status >= 500 {
		e.Headers = retryHeaders(h)
	}
	return e
}

// clientError maps a 4xx that the client's request caused.
func clientError(status int, body []byte, msg string) *gwerror.Error {
	e := &gwerror.Error{Code: gwerror.InvalidRequest, Status: status, Message: msg}
	switch status {
	case http.StatusNotFound:
		e.Code = gwerror.NotFound
		code := gjson.GetBytes(body, "error.code").String()
		if code == "model_not_found" || code == "DeploymentNotFound" {
			e.Code = gwerror.ModelNotFound
		}
	case http.StatusRequestTimeout:
		e.Code, e.Status = gwerror.UpstreamTimeout, 0
	case http.StatusRequestEntityTooLarge:
		e.Code = gwerror.BodyTooLarge
	}
	if param := gjson.GetBytes(body, "error.param"); param.Type == gjson.String {
		e.Param = param.Str
	}
	return e
}

// message extracts the human-readable message from an error body. It
// knows OpenAI/Azure/Anthropic ({"error":{"message"}}), vLLM
// ({"message"}), Ollama ({"error":"..."}) and FastAPI ({"detail":"..."}).
// A body that is not JSON is returned as truncated text with isJSON false.
func message(body []byte) (msg string, isJSON bool) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return "", true
	}
	if !rawjson.Valid(body) {
		return truncate(string(body), maxRawMessage), false
	}
	for _, path := range [...]string{"error.message", "error", "message", "detail"} {
		if r := gjson.GetBytes(body, path); r.Type == gjson.String && r.Str != "" {
			return truncate(r.Str, 4*maxRawMessage), true
		}
	}
	return "", true
}

// truncate cuts s to at most n bytes on a rune boundary and makes it valid
// UTF-8, so it is safe to put in a JSON error body.
func truncate(s string, n int) string {
	s = strings.ToValidUTF8(strings.TrimSpace(s), "\uFFFD")
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// retryHeaders keeps the headers that tell a client when to retry.
func retryHeaders(h http.Header) map[string]string {
	var out map[string]string
	for k, v := range h {
		if len(v) == 0 {
			continue
		}
		lk := strings.ToLower(k)
		if lk == "retry-after" || lk == "retry-after-ms" ||
			strings.HasPrefix(lk, "x-ratelimit-") || strings.HasPrefix(lk, "anthropic-ratelimit-") {
			if out == nil {
				out = make(map[string]string)
			}
			out[lk] = v[0]
		}
	}
	return out
}

// WithRetryAfter copies the reply's Retry-After header onto e.
func WithRetryAfter(e *gwerror.Error, h http.Header) *gwerror.Error {
	if v := h.Get("Retry-After"); v != "" {
		return e.WithHeader("retry-after", v)
	}
	return e
}

// KeepsMeaning reports whether status means the same thing whoever sent
// it: 429, 503 and 504 tell the client to back off or retry even when a
// proxy, not the provider, answered.
func KeepsMeaning(status int) bool {
	switch status {
	case http.StatusTooManyRequests, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// Unreadable is the error for a reply whose body is not the provider's
// error shape and whose status says nothing on its own.
func Unreadable(p translate.Provider, status int) *gwerror.Error {
	return gwerror.New(gwerror.UpstreamError, "%s returned HTTP %d with an unreadable error body", p, status)
}
