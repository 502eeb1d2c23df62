// Package gwerror is Sluice's single error vocabulary. Stages return *Error
// values; only the ext_proc layer turns them into what the client sees, so
// every rejection has the same OpenAI-style JSON shape and a deliberate HTTP
// status.
package gwerror

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/tidwall/sjson"
)

// Code is a stable, machine-readable error code. It is the `code` field of
// the OpenAI error body and decides the HTTP status.
type Code string

// The codes Sluice emits. Clients match on these strings, so they never change.
const (
	InvalidRequest      Code = "invalid_request_error"
	InvalidJSON         Code = "invalid_json"
	MissingField        Code = "missing_required_field"
	UnsupportedParam    Code = "unsupported_parameter"
	PIIDetected         Code = "pii_detected"
	ModelNotFound       Code = "model_not_found"
	NotFound            Code = "not_found"
	MethodNotAllowed    Code = "method_not_allowed"
	BodyTooLarge        Code = "request_too_large"
	Unauthenticated     Code = "invalid_api_key"
	PermissionDenied    Code = "permission_denied"
	RateLimited         Code = "rate_limit_exceeded"
	BudgetExceeded      Code = "budget_exceeded"
	LimitsUnavailable   Code = "limits_unavailable"
	PolicyDenied        Code = "policy_denied"
	PolicyError         Code = "policy_error"
	UpstreamError       Code = "upstream_error"
	UpstreamUnavailable Code = "upstream_unavailable"
	UpstreamTimeout     Code = "upstream_timeout"
	Internal            Code = "internal_error"
)

// Error is a client-facing failure. Message must never contain secrets or
// raw personal data: it is returned verbatim.
type Error struct {
	Code    Code
	Status  int    // HTTP status; zero means "derive from Code"
	Message string // human-readable, safe to show the caller
	Param   string // the offending request field, when there is one
	// Headers are extra response headers (for example retry-after).
	Headers map[string]string
	cause   error
}

// New returns an error with the status derived from code.
func New(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Param returns an error about one request field.
func Param(code Code, param, format string, args ...any) *Error {
	return &Error{Code: code, Param: param, Message: fmt.Sprintf(format, args...)}
}

// UnknownModel is the 404 for a model the caller cannot use, worded as
// OpenAI words it, so a model that exists but is hidden from the caller
// reads the same as one that does not exist.
func UnknownModel(name string) *Error {
	return Param(ModelNotFound, "model", "The model '%s' does not exist or you do not have access to it.", name)
}

// PIIBlocked is the 400 for a request carrying entity types whose action
// is block. It names the types, never the values: the message is returned
// to the caller and may be logged.
func PIIBlocked(types []string) *Error {
	return New(PIIDetected, "the request contains data that may not be sent: %s", strings.Join(types, ", "))
}

// Wrap attaches an internal cause that is logged but never shown to clients.
func Wrap(code Code, cause error, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), cause: cause}
}

func (e *Error) Error() string {
	if e.cause != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.cause)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.cause }

// Is lets errors.Is match on the code alone: errors.Is(err, gwerror.New(gwerror.ModelNotFound, "")).
func (e *Error) Is(target error) bool {
	var t *Error
	if errors.As(target, &t) {
		return t.Code == e.Code
	}
	return false
}

// HTTPStatus is the status the client receives.
func (e *Error) HTTPStatus() int {
	if e.Status != 0 {
		return e.Status
	}
	return statusOf(e.Code)
}

// Type is the OpenAI `type` field for this error.
func (e *Error) Type() string {
	switch s := e.HTTPStatus(); {
	case s == 401:
		return "authentication_error"
	case s == 403:
		return "permission_error"
	case s == 404:
		return "not_found_error"
	case s == 429:
		return "rate_limit_error"
	case s >= 500:
		return "api_error"
	default:
		return "invalid_request_error"
	}
}

func statusOf(c Code) int {
	switch c {
	case InvalidRequest, InvalidJSON, MissingField, UnsupportedParam, PIIDetected:
		return 400
	case Unauthenticated:
		return 401
	case PermissionDenied, PolicyDenied:
		return 403
	case ModelNotFound, NotFound:
		return 404
	case MethodNotAllowed:
		return 405
	case BodyTooLarge:
		return 413
	case RateLimited, BudgetExceeded:
		return 429
	case UpstreamError:
		return 502
	case UpstreamUnavailable, PolicyError, LimitsUnavailable:
		return 503
	case UpstreamTimeout:
		return 504
	default:
		return 500
	}
}

// Body renders the OpenAI error shape:
// {"error":{"message":...,"type":...,"param":...,"code":...}}.
func (e *Error) Body() []byte {
	b := []byte(`{"error":{"message":"","type":"","param":null,"code":""}}`)
	b, _ = sjson.SetBytes(b, "error.message", e.Message)
	b, _ = sjson.SetBytes(b, "error.type", e.Type())
	if e.Param != "" {
		b, _ = sjson.SetBytes(b, "error.param", e.Param)
	}
	b, _ = sjson.SetBytes(b, "error.code", string(e.Code))
	return b
}

// From converts any error into an *Error. Unknown errors become a 500 whose
// message hides the internal detail.
func From(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return Wrap(Internal, err, "internal error")
}

// WithStatus returns a copy of e with an explicit HTTP status.
func (e *Error) WithStatus(status int) *Error {
	c := *e
	c.Status = status
	return &c
}

// WithHeader returns a copy of e that carries an extra response header.
func (e *Error) WithHeader(k, v string) *Error {
	c := *e
	c.Headers = make(map[string]string, len(e.Headers)+1)
	for hk, hv := range e.Headers {
		c.Headers[hk] = hv
	}
	c.Headers[k] = v
	return &c
}

// StatusText is a short helper for logs.
func (e *Error) StatusText() string { return strconv.Itoa(e.HTTPStatus()) + " " + string(e.Code) }
