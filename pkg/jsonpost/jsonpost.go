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

// Settings configures a Client. Every field is used as given: each service
// package applies its own defaults first.
type Settings struct {
	Name      string // names the breaker
	URL       string
	APIKey    string
	Timeout   time.Duration
	Transport http.RoundTripper // nil means http.DefaultTransport
	MaxBytes  int64
	// BreakerFailures consecutive failures stop calls for BreakerCooldown;
	// then one trial call decides whether they resume.
	BreakerFailures uint32
	BreakerCooldown time.Duration
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

// NewClient returns a Client for s.
func NewClient[T any](s Settings) *Client[T] {
	return &Client[T]{
		client:   &http.Client{Timeout: s.Timeout, Transport: s.Transport},
		url:      s.URL,
		apiKey:   s.APIKey,
		maxBytes: s.MaxBytes,
		breaker: gobreaker.NewCircuitBreaker[T](gobreaker.Settings{
			Name:        s.Name,
			Timeout:     s.BreakerCooldown,
			ReadyToTrip: func(n gobreaker.Counts) bool { return n.ConsecutiveFailures >= s.BreakerFailures },
			IsExcluded:  func(err error) bool { return errors.As(err, new(CallerGone)) },
		}),
	}
}

// Call posts body and reads a 2xx reply with parse, behind the breaker: a
// reply parse rejects counts as a failure like a refused connection. A
// failed POST while ctx is done is returned as a CallerGone; an open breaker
// returns gobreaker.ErrOpenState or gobreaker.ErrTooManyRequests.
func (c *Client[T]) Call(ctx context.Context, body []byte, parse func([]byte) (T, error)) (T, error) {
	return c.breaker.Execute(func() (T, error) {
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
}
