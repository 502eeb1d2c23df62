package gemini

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/sluice-gw/sluice/pkg/gwerror"
)

func TestError(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		header     http.Header
		body       string
		code       gwerror.Code
		httpStatus int
		retryAfter string
		contains   string
		hides      string
	}{
		{
			name: "rate limit with retry info", status: 429,
			body: `{"error":{"code":429,"message":"Quota exceeded","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"8.9s"}]}}`,
			code: gwerror.RateLimited, httpStatus: 429, retryAfter: "9", contains: "Quota exceeded",
		},
		{
			name: "rate limit header wins", status: 429, header: http.Header{"Retry-After": {"30"}},
			body: `{"error":{"code":429,"message":"slow","status":"RESOURCE_EXHAUSTED"}}`,
			code: gwerror.RateLimited, httpStatus: 429, retryAfter: "30",
		},
		{
			name: "rate limit html body", status: 429, body: `<html>busy</html>`,
			code: gwerror.RateLimited, httpStatus: 429,
		},
		{
			name: "bad key", status: 400,
			body: `{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID"}]}}`,
			code: gwerror.UpstreamError, httpStatus: 502, contains: "credential",
		},
		{
			name: "bad key message only", status: 400,
			body: `{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT"}}`,
			code: gwerror.UpstreamError, httpStatus: 502, contains: "credential",
		},
		{
			name: "forbidden", status: 403,
			body: `{"error":{"code":403,"message":"Permission denied on project 1234","status":"PERMISSION_DENIED"}}`,
			code: gwerror.UpstreamError, httpStatus: 502, contains: "credential", hides: "1234",
		},
		{
			name: "unauthenticated", status: 401, body: `{"error":{"code":401,"status":"UNAUTHENTICATED"}}`,
			code: gwerror.UpstreamError, httpStatus: 502, contains: "credential",
		},
		{
			name: "invalid argument", status: 400,
			body: `{"error":{"code":400,"message":"Invalid JSON payload received.","status":"INVALID_ARGUMENT"}}`,
			code: gwerror.InvalidRequest, httpStatus: 400, contains: "Invalid JSON payload",
		},
		{
			name: "location unsupported", status: 400,
			body: `{"error":{"code":400,"message":"User location is not supported","status":"FAILED_PRECONDITION"}}`,
			code: gwerror.UpstreamError, httpStatus: 502, contains: "location",
		},
		{
			name: "model not found", status: 404,
			body: `{"error":{"code":404,"message":"models/x is not found","status":"NOT_FOUND"}}`,
			code: gwerror.UpstreamError, httpStatus: 502, contains: "models/x",
		},
		{
			name: "too large", status: 413, body: `{"error":{"code":413,"message":"too big"}}`,
			code: gwerror.BodyTooLarge, httpStatus: 413,
		},
		{
			name: "internal", status: 500, body: `{"error":{"code":500,"message":"An internal error has occurred.","status":"INTERNAL"}}`,
			code: gwerror.UpstreamError, httpStatus: 502, contains: "internal error has occurred",
		},
		{
			name: "overloaded", status: 503, header: http.Header{"Retry-After": {"5"}},
			body: `{"error":{"code":503,"message":"The model is overloaded.","status":"UNAVAILABLE"}}`,
			code: gwerror.UpstreamError, httpStatus: 502, retryAfter: "5", contains: "overloaded",
		},
		{
			name: "deadline", status: 504, body: `{"error":{"code":504,"status":"DEADLINE_EXCEEDED"}}`,
			code: gwerror.UpstreamTimeout, httpStatus: 504,
		},
		{
			name: "array wrapped", status: 429, body: `[{"error":{"code":429,"message":"wrapped","status":"RESOURCE_EXHAUSTED"}}]`,
			code: gwerror.RateLimited, httpStatus: 429, contains: "wrapped",
		},
		{
			name: "malformed", status: 500, body: `upstream connect error`,
			code: gwerror.UpstreamError, httpStatus: 502, contains: "unreadable",
		},
		{
			name: "malformed 400", status: 400, body: ``,
			code: gwerror.UpstreamError, httpStatus: 502, contains: "unreadable",
		},
		{
			name: "other 4xx", status: 409, body: `{"error":{"code":409,"message":"conflict","status":"ABORTED"}}`,
			code: gwerror.InvalidRequest, httpStatus: 400, contains: "conflict",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := New().Error(tc.status, tc.header, []byte(tc.body))
			var ge *gwerror.Error
			if !errors.As(err, &ge) {
				t.Fatalf("err = %v, want *gwerror.Error", err)
			}
			if ge.Code != tc.code || ge.HTTPStatus() != tc.httpStatus {
				t.Errorf("got %s (HTTP %d), want %s (HTTP %d): %s", ge.Code, ge.HTTPStatus(), tc.code, tc.httpStatus, ge.Message)
			}
			if got := ge.Headers["retry-after"]; got != tc.retryAfter {
				t.Errorf("retry-after = %q, want %q", got, tc.retryAfter)
			}
			if !strings.Contains(ge.Message, tc.contains) {
				t.Errorf("message %q does not contain %q", ge.Message, tc.contains)
			}
			if tc.hides != "" && strings.Contains(ge.Message, tc.hides) {
				t.Errorf("message %q leaks %q", ge.Message, tc.hides)
			}
		})
	}
}
