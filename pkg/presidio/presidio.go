// Package presidio finds names, places and other entities that patterns
// cannot, by asking an external Microsoft Presidio analyzer
// (POST {Endpoint}/analyze). Its findings have the shape of the built-in
// scanner's (pii.Finding, byte offsets), so the data-protection stage treats
// both alike.
//
// The client owns an HTTP client with a timeout, reads a bounded response,
// stops calling a failing analyzer for a while (a circuit breaker), and
// fails in the mode configured: closed (Analyze returns an error wrapping
// ErrUnavailable) or open (Analyze returns no NER findings, and the skip is
// counted). It never logs the text it sends, nor the API key.
package presidio

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/sluice-gw/sluice/pkg/jsonpost"
	"github.com/sluice-gw/sluice/pkg/pii"
)

// ErrUnavailable is wrapped by every error that means the analyzer gave no
// answer: a timeout, a refused connection, a non-2xx status, a malformed
// answer, or the breaker being open.
var ErrUnavailable = errors.New("presidio analyzer unavailable")

const (
	defaultTimeout          = 2 * time.Second
	defaultMaxResponseBytes = 1 << 20
	defaultBreakerCooldown  = 30 * time.Second
)

// Config configures a Client. Zero fields take the defaults shown.
type Config struct {
	// Endpoint is the analyzer's base URL, such as
	// "http://presidio-analyzer:3000".
	Endpoint string
	// APIKey is the resolved secret sent as a bearer token, for an analyzer
	// behind an authenticating proxy; "" sends none. It is never logged.
	APIKey string
	// Language is the text's language as Presidio names it; default "en".
	Language string
	// Entities are the Presidio entity types to ask for, such as PERSON
	// and LOCATION; answers of other types are dropped. Empty asks for
	// every type the analyzer knows.
	Entities []string
	// ScoreThreshold drops answers scored lower; 0 keeps the analyzer's
	// own threshold.
	ScoreThreshold float64
	// Timeout bounds one call, connection included; default 2s.
	Timeout time.Duration
	// MaxResponseBytes bounds the answer read; default 1 MiB.
	MaxResponseBytes int64
	// FailOpen lets a request through without NER findings when the
	// analyzer cannot answer, instead of failing it.
	FailOpen bool
	// BreakerFailures is how many consecutive failures stop calls for
	// BreakerCooldown (default 5 and 30s); then one trial call decides
	// whether calls resume.
	BreakerFailures int
	BreakerCooldown time.Duration
}

// Stats counts a client's calls since it was made.
type Stats struct {
	Calls   uint64 // Analyze calls
	Errors  uint64 // calls that got no answer (including those skipped)
	Skipped uint64 // calls that failed open
}

// Client calls one Presidio analyzer. It is safe for concurrent use.
type Client struct {
	language  string
	entities  []string
	wanted    map[string]bool
	threshold float64
	failOpen  bool
	client    *jsonpost.Client[[]pii.Finding]

	calls, errs, skipped atomic.Uint64
}

// New validates cfg and returns a Client.
func New(cfg Config) (*Client, error) {
	u, err := url.Parse(cfg.Endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("presidio: endpoint %q: want an absolute http or https URL", cfg.Endpoint)
	}
	if cfg.ScoreThreshold < 0 || cfg.ScoreThreshold > 1 {
		return nil, fmt.Errorf("presidio: score threshold %v: want a value in [0, 1]", cfg.ScoreThreshold)
	}
	c := &Client{
		language:  cmp.Or(cfg.Language, "en"),
		entities:  cfg.Entities,
		threshold: cfg.ScoreThreshold,
		failOpen:  cfg.FailOpen,
		client: jsonpost.NewClient[[]pii.Finding](jsonpost.Settings{
			Name:            "presidio",
			URL:             strings.TrimSuffix(u.String(), "/") + "/analyze",
			APIKey:          cfg.APIKey,
			Timeout:         cfg.Timeout,
			MaxBytes:        cfg.MaxResponseBytes,
			BreakerFailures: cfg.BreakerFailures,
			BreakerCooldown: cfg.BreakerCooldown,
		}, jsonpost.Defaults{Timeout: defaultTimeout, MaxBytes: defaultMaxResponseBytes, BreakerCooldown: defaultBreakerCooldown}),
	}
	for _, e := range c.entities {
		if !validType(e) {
			return nil, fmt.Errorf("presidio: entities: %q is not an entity type such as PERSON", e)
		}
		if c.wanted == nil {
			c.wanted = map[string]bool{}
		}
		c.wanted[e] = true
	}
	return c, nil
}

// Stats returns the client's counters.
func (c *Client) Stats() Stats {
	return Stats{Calls: c.calls.Load(), Errors: c.errs.Load(), Skipped: c.skipped.Load()}
}

// Analyze appends the analyzer's findings in text to dst, sorted by Start
// and non-overlapping like pii.Scanner.Scan, with byte offsets into text.
// When the analyzer cannot answer and the client fails open, it returns dst
// unchanged and a nil error.
func (c *Client) Analyze(ctx context.Context, dst []pii.Finding, text []byte) ([]pii.Finding, error) {
	if len(bytes.TrimSpace(text)) == 0 {
		// Nothing to find, and Presidio answers an empty text with an
		// error that would count against it.
		return dst, nil
	}
	c.calls.Add(1)
	found, err := c.analyze(ctx, text)
	if err == nil {
		return append(dst, found...), nil
	}
	c.errs.Add(1)
	if errors.As(err, new(jsonpost.CallerGone)) {
		return dst, fmt.Errorf("presidio: %w", err)
	}
	if c.failOpen {
		c.skipped.Add(1)
		return dst, nil
	}
	return dst, fmt.Errorf("presidio: %w: %w", ErrUnavailable, err)
}

type analyzeRequest struct {
	Text           string   `json:"text"`
	Language       string   `json:"language"`
	Entities       []string `json:"entities,omitempty"`
	ScoreThreshold float64  `json:"score_threshold,omitempty"`
}

// analyzeResult is one element of Presidio's answer. Start and End count
// Unicode code points, as Python indexes strings.
type analyzeResult struct {
	EntityType string   `json:"entity_type"`
	Start      *int     `json:"start"`
	End        *int     `json:"end"`
	Score      *float64 `json:"score"`
}

func (c *Client) analyze(ctx context.Context, text []byte) ([]pii.Finding, error) {
	// Invalid UTF-8 is sent as U+FFFD, one per bad byte, as encoding/json
	// writes it; the analyzer's code-point offsets then still map onto
	// text byte for byte (see toBytes).
	body, err := json.Marshal(analyzeRequest{
		Text: string(text), Language: c.language, Entities: c.entities, ScoreThreshold: c.threshold,
	})
	if err != nil {
		return nil, err
	}
	// The response body never reaches an error: it may quote the text.
	return c.client.Call(ctx, body, func(raw []byte) ([]pii.Finding, error) { return c.parse(raw, text) })
}
