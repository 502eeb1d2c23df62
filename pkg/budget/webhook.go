package budget

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"
)

// Notifier receives crossings as Charge reports them. Notify is called on
// the request path and must return at once; delivery happens elsewhere.
type Notifier interface {
	Notify(Crossing)
}

// WebhookConfig configures a Webhook. Zero fields take the defaults shown.
type WebhookConfig struct {
	URL     string
	Headers map[string]string // e.g. Authorization; sent on every POST
	// Client sends the POSTs; default: a client with a 10s timeout.
	Client *http.Client
	// QueueSize bounds crossings waiting for delivery; default 256. When
	// the queue is full, a new crossing is dropped and counted.
	QueueSize int
	// MaxAttempts is how often one crossing is tried; default 6.
	MaxAttempts int
	// MinBackoff and MaxBackoff bound the wait before a retry, which doubles
	// from MinBackoff (default 500ms) up to MaxBackoff (default 30s) and is
	// then jittered down by up to half, so replicas do not retry in step.
	MinBackoff, MaxBackoff time.Duration
	// Log receives delivery failures; default slog.Default().
	Log *slog.Logger
}

// WebhookStats counts what happened to crossings given to a Webhook.
type WebhookStats struct {
	Delivered uint64 // a 2xx answer
	Failed    uint64 // given up: a permanent 4xx, or every attempt failed
	Dropped   uint64 // never tried: the queue was full or the webhook closed
}

// Webhook POSTs each crossing as JSON to a URL from one background worker,
// retrying failures with exponential backoff and jitter. Notify never
// blocks: a crossing that finds the queue full is dropped and counted.
// Each body carries the crossing's ID, also sent as the Idempotency-Key
// header, so a receiver can drop a retry it already has.
type Webhook struct {
	cfg   WebhookConfig
	queue chan Crossing
	stop  context.CancelFunc // abandons retries once Close runs out of time
	ctx   context.Context
	done  chan struct{}

	mu     sync.RWMutex // guards closed against Notify's send
	closed bool

	delivered, failed, dropped atomic.Uint64
}

// NewWebhook validates cfg and starts the delivery worker; Close stops it.
func NewWebhook(cfg WebhookConfig) (*Webhook, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("budget: webhook url %q: want an absolute http or https URL", cfg.URL)
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 10 * time.Second}
	}
	cfg.QueueSize = cmpOr(cfg.QueueSize, 256)
	cfg.MaxAttempts = cmpOr(cfg.MaxAttempts, 6)
	cfg.MinBackoff = cmpOr(cfg.MinBackoff, 500*time.Millisecond)
	cfg.MaxBackoff = max(cmpOr(cfg.MaxBackoff, 30*time.Second), cfg.MinBackoff)
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	ctx, stop := context.WithCancel(context.Background())
	w := &Webhook{cfg: cfg, queue: make(chan Crossing, cfg.QueueSize), ctx: ctx, stop: stop, done: make(chan struct{})}
	go w.run()
	return w, nil
}

// Notify queues c for delivery, or drops it if the queue is full.
func (w *Webhook) Notify(c Crossing) {
	w.mu.RLock()
	defer w.mu.RUnlock()
	if w.closed {
		w.dropped.Add(1)
		return
	}
	select {
	case w.queue <- c:
	default:
		w.dropped.Add(1)
	}
}

// Close stops accepting crossings and delivers those queued until ctx is
// done; what is still queued then is dropped and counted.
func (w *Webhook) Close(ctx context.Context) error {
	w.mu.Lock()
	if !w.closed {
		w.closed = true
		close(w.queue)
	}
	w.mu.Unlock()
	defer w.stop()
	select {
	case <-w.done:
		return nil
	case <-ctx.Done():
		w.stop()
		<-w.done
		return ctx.Err()
	}
}

// Stats returns the delivery counters so far.
func (w *Webhook) Stats() WebhookStats {
	return WebhookStats{Delivered: w.delivered.Load(), Failed: w.failed.Load(), Dropped: w.dropped.Load()}
}

func (w *Webhook) run() {
	defer close(w.done)
	for c := range w.queue {
		if w.ctx.Err() != nil {
			w.dropped.Add(1)
			continue
		}
		if err := w.deliver(c); err != nil {
			w.failed.Add(1)
			w.cfg.Log.Warn("budget webhook: crossing not delivered", "id", c.ID(), "error", err)
			continue
		}
		w.delivered.Add(1)
	}
}

// errPermanent marks an answer that retrying will not change.
var errPermanent = errors.New("permanent failure")

// deliver POSTs one crossing, retrying until it succeeds, fails for good,
// runs out of attempts or the webhook is stopped.
func (w *Webhook) deliver(c Crossing) error {
	body, err := json.Marshal(newPayload(c))
	if err != nil {
		return err
	}
	var last error
	for attempt := 1; attempt <= w.cfg.MaxAttempts; attempt++ {
		if attempt > 1 {
			t := time.NewTimer(w.backoff(attempt - 1))
			select {
			case <-t.C:
			case <-w.ctx.Done():
				t.Stop()
				return fmt.Errorf("stopped after %d attempts: %w", attempt-1, last)
			}
		}
		if last = w.post(c.ID(), body); last == nil || errors.Is(last, errPermanent) {
			return last
		}
	}
	return fmt.Errorf("%d attempts: %w", w.cfg.MaxAttempts, last)
}

func (w *Webhook) post(id string, body []byte) error {
	req, err := http.NewRequestWithContext(w.ctx, http.MethodPost, w.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%w: %w", errPermanent, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", id)
	for k, v := range w.cfg.Headers {
		req.Header.Set(k, v)
	}
	resp, err := w.cfg.Client.Do(req)
	if err != nil {
		return err
	}
	_ = resp.Body.Close() // the answer's body carries nothing we use
	switch s := resp.StatusCode; {
	case s >= 200 && s < 300:
		return nil
	case s == http.StatusRequestTimeout || s == http.StatusTooManyRequests || s >= 500:
		return fmt.Errorf("status %d", s)
	default:
		return fmt.Errorf("%w: status %d", errPermanent, s)
	}
}

// backoff is the wait before retry n (1-based): MinBackoff doubled n-1
// times, capped at MaxBackoff, less a random part of up to half.
func (w *Webhook) backoff(n int) time.Duration {
	d := w.cfg.MaxBackoff
	if n-1 < 32 && w.cfg.MinBackoff<<(n-1) < d && w.cfg.MinBackoff<<(n-1) > 0 {
		d = w.cfg.MinBackoff << (n - 1)
	}
	return d - rand.N(d/2+1) //nolint:gosec // jitter, not a secret
}

// payload is the JSON body of one webhook POST.
type payload struct {
	Type        string    `json:"type"`
	ID          string    `json:"id"`
	Budget      string    `json:"budget"`
	Scope       Scope     `json:"scope"`
	Threshold   int       `json:"threshold_percent"`
	SpentMicros int64     `json:"spent_micros"`
	LimitMicros int64     `json:"limit_micros"`
	Currency    string    `json:"currency"`
	OnExceed    Action    `json:"on_exceed"`
	PeriodStart time.Time `json:"period_start"`
	PeriodEnd   time.Time `json:"period_end"`
	At          time.Time `json:"at"`
}

func newPayload(c Crossing) payload {
	return payload{Type: "budget.threshold_crossed", ID: c.ID(), Budget: c.Budget.Name, Scope: c.Budget.Scope,
		Threshold: c.Threshold, SpentMicros: c.SpentMicros, LimitMicros: c.Budget.LimitMicros, Currency: "USD",
		OnExceed: c.Budget.action(), PeriodStart: c.PeriodStart, PeriodEnd: c.PeriodEnd, At: c.At}
}

// cmpOr is v, or def when v is zero or negative.
func cmpOr[T int | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}
