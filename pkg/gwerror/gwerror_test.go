package gwerror_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/tidwall/gjson"

	"github.com/sluice-gw/sluice/pkg/gwerror"
)

func TestStatusAndType(t *testing.T) {
	tests := []struct {
		code   gwerror.Code
		status int
		typ    string
	}{
		{gwerror.InvalidJSON, 400, "invalid_request_error"},
		{gwerror.MissingField, 400, "invalid_request_error"},
		{gwerror.UnsupportedParam, 400, "invalid_request_error"},
		{gwerror.Unauthenticated, 401, "authentication_error"},
		{gwerror.PermissionDenied, 403, "permission_error"},
		{gwerror.ModelNotFound, 404, "not_found_error"},
		{gwerror.NotFound, 404, "not_found_error"},
		{gwerror.MethodNotAllowed, 405, "invalid_request_error"},
		{gwerror.BodyTooLarge, 413, "invalid_request_error"},
		{gwerror.RateLimited, 429, "rate_limit_error"},
		{gwerror.BudgetExceeded, 429, "rate_limit_error"},
		{gwerror.LimitsUnavailable, 503, "api_error"},
		{gwerror.UpstreamError, 502, "api_error"},
		{gwerror.UpstreamUnavailable, 503, "api_error"},
		{gwerror.UpstreamTimeout, 504, "api_error"},
		{gwerror.Internal, 500, "api_error"},
		{"something_new", 500, "api_error"},
	}
	for _, tt := range tests {
		t.Run(string(tt.code), func(t *testing.T) {
			e := gwerror.New(tt.code, "m")
			if e.HTTPStatus() != tt.status || e.Type() != tt.typ {
				t.Errorf("got %d %s, want %d %s", e.HTTPStatus(), e.Type(), tt.status, tt.typ)
			}
		})
	}
}

func TestBodyIsOpenAIShape(t *testing.T) {
	e := gwerror.Param(gwerror.UnsupportedParam, "n", `parameter "n" is not supported by provider anthropic`)
	b := e.Body()
	if !gjson.ValidBytes(b) {
		t.Fatalf("invalid JSON: %s", b)
	}
	for path, want := range map[string]string{
		"error.message": `parameter "n" is not supported by provider anthropic`,
		"error.type":    "invalid_request_error",
		"error.param":   "n",
		"error.code":    "unsupported_parameter",
	} {
		if got := gjson.GetBytes(b, path).String(); got != want {
			t.Errorf("%s = %q, want %q", path, got, want)
		}
	}
	if p := gjson.GetBytes(gwerror.New(gwerror.Internal, "x").Body(), "error.param"); p.Type != gjson.Null {
		t.Errorf("param without a value must be null, got %s", p.Raw)
	}
}

func TestWrapHidesCauseFromClient(t *testing.T) {
	cause := errors.New("dial tcp 10.0.0.1: secret detail")
	e := gwerror.Wrap(gwerror.UpstreamUnavailable, cause, "backend down")
	if !errors.Is(e, cause) {
		t.Error("cause must stay reachable for logs")
	}
	if got := gjson.GetBytes(e.Body(), "error.message").String(); got != "backend down" {
		t.Errorf("client message %q leaks the cause", got)
	}
}

func TestFromAndIs(t *testing.T) {
	wrapped := fmt.Errorf("stage: %w", gwerror.New(gwerror.RateLimited, "slow down"))
	if got := gwerror.From(wrapped); got.Code != gwerror.RateLimited {
		t.Errorf("From lost the code: %v", got)
	}
	if !errors.Is(wrapped, gwerror.New(gwerror.RateLimited, "")) {
		t.Error("errors.Is should match on code")
	}
	if got := gwerror.From(errors.New("boom")); got.HTTPStatus() != 500 || got.Message != "internal error" {
		t.Errorf("unknown errors must become an opaque 500, got %v", got)
	}
	e := gwerror.New(gwerror.RateLimited, "x").WithHeader("retry-after", "7").WithStatus(429)
	if e.Headers["retry-after"] != "7" || e.HTTPStatus() != 429 {
		t.Errorf("headers/status not kept: %+v", e)
	}
}
