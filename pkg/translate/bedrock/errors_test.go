package bedrock

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/sluice-gw/sluice/pkg/gwerror"
)

func TestError(t *testing.T) {
	typ := func(name string) http.Header {
		return http.Header{"X-Amzn-Errortype": {name + ":http://internal.amazon.com/coral/com.amazon.bedrock/"}}
	}
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
			name: "throttling", status: 429, header: typ("ThrottlingException"),
			body: `{"message":"Too many requests, please wait before trying again."}`,
			code: gwerror.RateLimited, httpStatus: 429, contains: "Too many requests",
		},
		{
			name: "throttling keeps retry-after", status: 429,
			header: http.Header{"X-Amzn-Errortype": {"ThrottlingException"}, "Retry-After": {"3"}},
			body:   `{"message":"slow down"}`, code: gwerror.RateLimited, httpStatus: 429, retryAfter: "3",
		},
		{
			name: "quota", status: 400, header: typ("ServiceQuotaExceededException"), body: `{"message":"quota"}`,
			code: gwerror.RateLimited, httpStatus: 429,
		},
		{
			name: "validation", status: 400, header: typ("ValidationException"),
			body: `{"message":"The model returned the following errors: messages: roles must alternate"}`,
			code: gwerror.InvalidRequest, httpStatus: 400, contains: "roles must alternate",
		},
		{
			name: "validation from __type", status: 400,
			body: `{"__type":"com.amazon.coral.validate#ValidationException","message":"bad input"}`,
			code: gwerror.InvalidRequest, httpStatus: 400, contains: "bad input",
		},
		{
			name: "access denied", status: 403, header: typ("AccessDeniedException"),
			body: `{"message":"User: arn:aws:iam::123456789012:user/gw is not authorized to perform: bedrock:InvokeModel"}`,
			code: gwerror.UpstreamError, httpStatus: 502, contains: "credential", hides: "123456789012",
		},
		{
			name: "bad signature", status: 403, header: typ("InvalidSignatureException"), body: `{"message":"The request signature we calculated does not match"}`,
			code: gwerror.UpstreamError, httpStatus: 502, contains: "credential",
		},
		{
			name: "expired token", status: 403, header: typ("ExpiredTokenException"), body: `{"Message":"The security token included in the request is expired"}`,
			code: gwerror.UpstreamError, httpStatus: 502, contains: "credential",
		},
		{
			name: "unrecognized client", status: 403, body: `{"message":"The security token included in the request is invalid."}`,
			header: typ("UnrecognizedClientException"), code: gwerror.UpstreamError, httpStatus: 502, contains: "credential",
		},
		{
			name: "model not found", status: 404, header: typ("ResourceNotFoundException"), body: `{"message":"Model not found"}`,
			code: gwerror.UpstreamError, httpStatus: 502, contains: "Model not found",
		},
		{
			name: "model not ready", status: 429, header: typ("ModelNotReadyException"), body: `{"message":"Model is not ready"}`,
			code: gwerror.UpstreamError, httpStatus: 502, contains: "not ready",
		},
		{
			name: "service unavailable", status: 503, header: typ("ServiceUnavailableException"), body: `{"message":"down"}`,
			code: gwerror.UpstreamError, httpStatus: 502,
		},
		{
			name: "model timeout", status: 408, header: typ("ModelTimeoutException"), body: `{"message":"took too long"}`,
			code: gwerror.UpstreamTimeout, httpStatus: 504,
		},
		{
			name: "model error", status: 424, header: typ("ModelErrorException"), body: `{"message":"model failed"}`,
			code: gwerror.UpstreamError, httpStatus: 502, contains: "model failed",
		},
		{
			name: "internal", status: 500, header: typ("InternalServerException"), body: `{"message":"oops"}`,
			code: gwerror.UpstreamError, httpStatus: 502, contains: "oops",
		},
		{
			name: "unknown exception 400", status: 400, header: typ("ConflictException"), body: `{"message":"conflict"}`,
			code: gwerror.InvalidRequest, httpStatus: 400, contains: "conflict",
		},
		{
			name: "too large", status: 413, body: `{"message":"Request too large"}`,
			code: gwerror.BodyTooLarge, httpStatus: 413,
		},
		{
			name: "unreadable 502", status: 502, body: `<html>Bad Gateway</html>`,
			code: gwerror.UpstreamError, httpStatus: 502, contains: "unreadable",
		},
		{
			name: "unreadable 429", status: 429, body: ``,
			code: gwerror.RateLimited, httpStatus: 429,
		},
		{
			name: "unreadable 403", status: 403, body: `Forbidden`,
			code: gwerror.UpstreamError, httpStatus: 502, contains: "unreadable",
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
