// Package moderation asks an external service whether text is harmful: an
// OpenAI-compatible moderations endpoint (Client), or a guard model such as
// Llama Guard behind any OpenAI-compatible chat endpoint (Guard).
//
// Both own an HTTP client with a timeout, read at most a bounded response,
// stop calling a failing service for a while (a circuit breaker), and fail
// in the mode configured: closed (the check returns an error wrapping
// ErrUnavailable, and the caller refuses the request) or open (the verdict
// is Skipped, not Flagged, and the skip is counted). Neither logs the text
// it checks, nor the API key.
package moderation

import (
	"context"
	"errors"
	"time"
)

// ErrUnavailable is wrapped by every error that means the service could not
// give a verdict: a timeout, a refused connection, a non-2xx status, a
// malformed answer, or the breaker being open.
var ErrUnavailable = errors.New("moderation unavailable")

// Verdict is a service's judgement of one text.
type Verdict struct {
	Flagged bool
	// Categories are the flagged categories, sorted: OpenAI's names
	// ("harassment", "violence/graphic") or a guard model's codes ("S1").
	Categories []string
	// Skipped is set when the service could not be asked and the checker
	// fails open; Flagged is then false.
	Skipped bool
}

// Checker is what the output guardrails call; Client and Guard implement it.
type Checker interface {
	Check(ctx context.Context, text string) (Verdict, error)
}

// Stats counts a checker's calls since it was made.
type Stats struct {
	Calls   uint64 // checks asked for
	Flagged uint64 // verdicts with Flagged set
	Errors  uint64 // checks that got no verdict (including those skipped)
	Skipped uint64 // checks that failed open
}

// HTTP holds the connection settings Client and Guard share. Zero fields
// take the defaults shown.
type HTTP struct {
	// Endpoint is the base URL of the OpenAI-compatible API, including its
	// version prefix, as the OpenAI SDKs take it:
	// "https://api.openai.com/v1" or "http://llama-guard:8000/v1".
	Endpoint string
	// APIKey is the resolved secret sent as a bearer token; "" sends none.
	// It is never logged.
	APIKey string
	// Timeout bounds one check, connection included; default 5s.
	Timeout time.Duration
	// MaxResponseBytes bounds the answer read; default 1 MiB.
	MaxResponseBytes int64
	// FailOpen lets a check that cannot reach a verdict pass as Skipped
	// instead of returning an error.
	FailOpen bool
	// BreakerFailures is how many consecutive failures stop calls for
	// BreakerCooldown (default 5 and 30s); then one trial call decides
	// whether calls resume.
	BreakerFailures int
	BreakerCooldown time.Duration
}
