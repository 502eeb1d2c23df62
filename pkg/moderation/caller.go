package moderation

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/sluice-gw/sluice/pkg/jsonpost"
)

const (
	defaultTimeout          = 5 * time.Second
	defaultMaxResponseBytes = 1 << 20
	defaultBreakerCooldown  = 30 * time.Second
)

// caller is the part Client and Guard share: one JSON POST to one URL,
// behind a breaker, with the fail mode applied to whatever goes wrong.
type caller struct {
	failOpen bool
	client   *jsonpost.Client[Verdict]

	calls, flagged, errs, skipped atomic.Uint64
}

func newCaller(name string, h HTTP, path string) (*caller, error) {
	u, err := url.Parse(h.Endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("moderation: endpoint %q: want an absolute http or https URL", h.Endpoint)
	}
	return &caller{
		failOpen: h.FailOpen,
		client: jsonpost.NewClient[Verdict](jsonpost.Settings{
			Name:            name,
			URL:             strings.TrimSuffix(u.String(), "/") + path,
			APIKey:          h.APIKey,
			Timeout:         h.Timeout,
			MaxBytes:        h.MaxResponseBytes,
			BreakerFailures: h.BreakerFailures,
			BreakerCooldown: h.BreakerCooldown,
		}, jsonpost.Defaults{Timeout: defaultTimeout, MaxBytes: defaultMaxResponseBytes, BreakerCooldown: defaultBreakerCooldown}),
	}, nil
}

// check posts body, parses a 2xx answer with parse, and applies the fail
// mode to any failure. The response body never reaches an error: it may
// quote the text being checked.
func (c *caller) check(ctx context.Context, body []byte, parse func([]byte) (Verdict, error)) (Verdict, error) {
	c.calls.Add(1)
	v, err := c.client.Call(ctx, body, parse)
	if err == nil {
		if v.Flagged {
			c.flagged.Add(1)
		}
		return v, nil
	}
	c.errs.Add(1)
	if errors.As(err, new(jsonpost.CallerGone)) {
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

func (c *caller) stats() Stats {
	return Stats{Calls: c.calls.Load(), Flagged: c.flagged.Load(), Errors: c.errs.Load(), Skipped: c.skipped.Load()}
}
