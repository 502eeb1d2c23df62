package moderation

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/sony/gobreaker/v2"

	"github.com/sluice-gw/sluice/pkg/jsonpost"
)

const (
	defaultTimeout          = 5 * time.Second
	defaultMaxResponseBytes = 1 << 20
	defaultBreakerFailures  = 5
	defaultBreakerCooldown  = 30 * time.Second
)

// caller is the part Client and Guard share: one JSON POST to one URL,
// behind a breaker, with the fail mode applied to whatever goes wrong.
type caller struct {
	url      string
	apiKey   string
	maxBytes int64
	failOpen bool
	client   *http.Client
	breaker  *gobreaker.CircuitBreaker[Verdict]

	calls, flagged, errs, skipped atomic.Uint64
}

// callerGone marks a failure caused by the caller's own context, which says
// nothing about the service's health.
type callerGone struct{ err error }

func (e callerGone) Error() string { return e.err.Error() }
func (e callerGone) Unwrap() error { return e.err }

func newCaller(name string, h HTTP, path string) (*caller, error) {
	u, err := url.Parse(h.Endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("moderation: endpoint %q: want an absolute http or https URL", h.Endpoint)
	}
	timeout := cmpOr(h.Timeout, defaultTimeout)
	failures := uint32(max(cmpOr(h.BreakerFailures, defaultBreakerFailures), 1)) // #nosec G115 -- bounded below, small in practice
	c := &caller{
		url:      strings.TrimSuffix(u.String(), "/") + path,
		apiKey:   h.APIKey,
		maxBytes: cmpOr(h.MaxResponseBytes, defaultMaxResponseBytes),
		failOpen: h.FailOpen,
		client:   &http.Client{Timeout: timeout},
	}
	c.breaker = gobreaker.NewCircuitBreaker[Verdict](gobreaker.Settings{
		Name:        name,
		Timeout:     cmpOr(h.BreakerCooldown, defaultBreakerCooldown),
		ReadyToTrip: func(n gobreaker.Counts) bool { return n.ConsecutiveFailures >= failures },
		IsExcluded:  func(err error) bool { return errors.As(err, new(callerGone)) },
	})
	return c, nil
}

// check posts body, parses a 2xx answer with parse, and applies the fail
// mode to any failure.
func (c *caller) check(ctx context.Context, body []byte, parse func([]byte) (Verdict, error)) (Verdict, error) {
	c.calls.Add(1)
	v, err := c.breaker.Execute(func() (Verdict, error) {
		raw, err := c.post(ctx, body)
		if err != nil {
			if ctx.Err() != nil {
				return Verdict{}, callerGone{err}
			}
			return Verdict{}, err
		}
		return parse(raw)
	})
	if err == nil {
		if v.Flagged {
			c.flagged.Add(1)
		}
		return v, nil
	}
	c.errs.Add(1)
	if errors.As(err, new(callerGone)) {
		// Nobody waits for the verdict any more: failing open would
		// only hide why the check stopped.
		return Verdict{}, fmt.Errorf("moderation: %w", err)
	}
	if c.failOpen {
		c.skipped.Add(1)
		return Verdict{Skipped: true}, nil
	}
	return Verdict{}, fmt.Errorf("moderation: %w: %w", ErrUnavailable, err)
}

// post never puts the response body in an error: it may quote the text
// being checked.
func (c *caller) post(ctx context.Context, body []byte) ([]byte, error) {
	return jsonpost.Post(ctx, c.client, c.url, c.apiKey, body, c.maxBytes)
}

func (c *caller) stats() Stats {
	return Stats{Calls: c.calls.Load(), Flagged: c.flagged.Load(), Errors: c.errs.Load(), Skipped: c.skipped.Load()}
}

func cmpOr[T int | int64 | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}
