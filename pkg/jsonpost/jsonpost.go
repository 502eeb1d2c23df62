// Package jsonpost makes the one kind of call Sluice's external analysis
// services need (Presidio, moderation, embeddings): a JSON POST with an
// optional bearer key and a bounded reply, behind a circuit breaker (Client).
// Errors never carry the reply's body, because it may quote the text being
// analysed.
package jsonpost

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/sony/gobreaker/v2"
)

// Post sends body to url and returns the reply of a 2xx answer, of at most
// maxBytes. Any other status, or a longer reply, is an error that names
// only the status or the size.
func Post(ctx context.Context, client *http.Client, url, apiKey string, body []byte, maxBytes int64) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if apiKey != "" {
		req.Header.Set("Authorization", "Bearer "+apiKey)
	}
	resp, err := client.Do(req) // #nosec G704 -- the URL is operator configuration
	if err != nil {
		return nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading response: %w", err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, fmt.Errorf("status %d", resp.StatusCode)
	}
	if int64(len(raw)) > maxBytes {
		return nil, fmt.Errorf("response over %d bytes", maxBytes)
	}
	return raw, nil
}

// Settings configures a Client. A zero or negative number takes its
// default: the service's own (Defaults) for the timeout, the reply bound
// and the cooldown, and DefaultBreakerFailures for the failures.
type Settings struct {
	Name      string // names the breaker
	URL       string
	APIKey    string
	Timeout   time.Duration
	Transport http.RoundTripper // nil means http.DefaultTransport
	MaxBytes  int64
	// BreakerFailures consecutive failures stop calls for BreakerCooldown;
	// then one trial call decides whether they resume.
	BreakerFailures int
	BreakerCooldown time.Duration
}

// Defaults are a service's defaults for what its Settings leave unset.
type Defaults struct {
	Timeout         time.Duration
	MaxBytes        int64
	BreakerCooldown time.Duration
}

// DefaultBreakerFailures is how many consecutive failures open a breaker
// unless a service's config says otherwise.
const DefaultBreakerFailures = 5

// ErrOpen is returned, wrapping the breaker's own error, while a breaker
// stops calls.
var ErrOpen = errors.New("circuit breaker open")

func or[T int | int64 | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

// Client posts to one service behind a circuit breaker, so that a failing
// service is left alone for a while instead of slowing every request.
// It is safe for concurrent use.
type Client[T any] struct {
	client      *http.Client
	url, apiKey string
	maxBytes    int64
	breaker     *gobreaker.CircuitBreaker[T]
}

// CallerGone marks a failure caused by the caller's own context, which
// says nothing about the service's health: it never counts against the
// breaker.
type CallerGone struct{ Err error }

func (e CallerGone) Error() string { return e.Err.Error() }
func (e CallerGone) Unwrap() error { return e.Err }

// NewClient returns a Client for s, with d for what s leaves unset.
func NewClient[T any](s Settings, d Defaults) *Client[T] {
	// Compared as uint64, which every positive int fits on every platform.
	failures := uint64(or(s.BreakerFailures, DefaultBreakerFailures)) // #nosec G115 -- or gives a positive int
	return &Client[T]{
		client:   &http.Client{Timeout: or(s.Timeout, d.Timeout), Transport: s.Transport},
		url:      s.URL,
		apiKey:   s.APIKey,
		maxBytes: or(s.MaxBytes, d.MaxBytes),
		breaker: gobreaker.NewCircuitBreaker[T](gobreaker.Settings{
			Name:        s.Name,
			Timeout:     or(s.BreakerCooldown, d.BreakerCooldown),
			ReadyToTrip: func(n gobreaker.Counts) bool { return uint64(n.ConsecutiveFailures) >= failures },
			IsExcluded:  func(err error) bool { return errors.As(err, new(CallerGone)) },
		}),
	}
}

// Call posts body and reads a 2xx reply with parse, behind the breaker: a
// reply parse rejects counts as a failure like a refused connection. A
// failed POST while ctx is done is returned as a CallerGone; an open breaker
// returns ErrOpen.
func (c *Client[T]) Call(ctx context.Context, body []byte, parse func([]byte) (T, error)) (T, error) {
	v, err := c.breaker.Execute(func() (T, error) {
		raw, err := Post(ctx, c.client, c.url, c.apiKey, body, c.maxBytes)
		if err != nil {
			var zero T
			if ctx.Err() != nil {
				return zero, CallerGone{err}
			}
			return zero, err
		}
		return parse(raw)
	})
	if errors.Is(err, gobreaker.ErrOpenState) || errors.Is(err, gobreaker.ErrTooManyRequests) {
		err = fmt.Errorf("%w: %w", ErrOpen, err)
	}
	return v, err
}
