package openai

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/tidwall/gjson"

	"github.com/sluice-gw/sluice/pkg/gwerror"
	"github.com/sluice-gw/sluice/pkg/translate"
)

// maxRawMessage bounds how much of a non-JSON error body reaches the client.
const maxRawMessage = 256

// ProviderError turns a non-2xx provider reply into the error the client
// sees. Every translator uses it so that a provider failure means the same
// thing whichever provider served the request:
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
func ProviderError(p translate.Provider, status int, h http.Header, body []byte) *gwerror.Error {
	msg, isJSON := providerMessage(body)
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

// providerMessage extracts the human-readable message from an error body.
// It knows OpenAI/Azure/Anthropic ({"error":{"message"}}), vLLM
// ({"message"}), Ollama ({"error":"..."}) and FastAPI ({"detail":"..."}).
// A body that is not JSON is returned as truncated text with isJSON false.
func providerMessage(body []byte) (msg string, isJSON bool) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return "", true
	}
	if !gjson.ValidBytes(body) {
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
