package budget_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluice-gw/sluice/pkg/budget"
)

func crossing(threshold int) budget.Crossing {
	return budget.Crossing{
		Budget:      budget.Budget{Name: "demo-daily", Scope: demo, Period: daily, LimitMicros: 1000},
		Threshold:   threshold,
		SpentMicros: 800,
		PeriodStart: date("2026-11-22T00:00:00Z"),
		PeriodEnd:   date("2026-11-23T00:00:00Z"),
		At:          date("2026-11-22T10:00:00Z"),
	}
}

func newWebhook(t *testing.T, url string, queue int) *budget.Webhook {
	t.Helper()
	w, err := budget.NewWebhook(budget.WebhookConfig{URL: url, QueueSize: queue, MaxAttempts: 4,
		MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, Headers: map[string]string{"Authorization": "Bearer t"}})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func closeWebhook(t *testing.T, w *budget.Webhook) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := w.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

func TestWebhookRetries(t *testing.T) {
	tests := []struct {
		name      string
		failures  int // answers with status before succeeding
		status    int
		wantCalls int64
		want      budget.WebhookStats
	}{
		{"first try", 0, 0, 1, budget.WebhookStats{Delivered: 1}},
		{"fails twice with 503", 2, http.StatusServiceUnavailable, 3, budget.WebhookStats{Delivered: 1}},
		{"429 is retried", 3, http.StatusTooManyRequests, 4, budget.WebhookStats{Delivered: 1}},
		{"gives up after MaxAttempts", 10, http.StatusBadGateway, 4, budget.WebhookStats{Failed: 1}},
		{"400 is not retried", 10, http.StatusBadRequest, 1, budget.WebhookStats{Failed: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int64
			var mu sync.Mutex
			var bodies []map[string]any
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n := calls.Add(1)
				if r.Header.Get("Authorization") != "Bearer t" || r.Header.Get("Content-Type") != "application/json" ||
					r.Header.Get("Idempotency-Key") != crossing(80).ID() {
					t.Errorf("headers: %v", r.Header)
				}
				var body map[string]any
				raw, _ := io.ReadAll(r.Body)
				if err := json.Unmarshal(raw, &body); err != nil {
					t.Errorf("body %s: %v", raw, err)
				}
				mu.Lock()
				bodies = append(bodies, body)
				mu.Unlock()
				if n <= int64(tt.failures) {
					w.WriteHeader(tt.status)
				}
			}))
			defer srv.Close()
			w := newWebhook(t, srv.URL, 8)
			w.Notify(crossing(80))
			closeWebhook(t, w)
			if calls.Load() != tt.wantCalls || w.Stats() != tt.want {
				t.Errorf("calls %d, stats %+v; want %d, %+v", calls.Load(), w.Stats(), tt.wantCalls, tt.want)
			}
			b := bodies[0]
			if b["type"] != "budget.threshold_crossed" || b["id"] != crossing(80).ID() || b["threshold_percent"] != 80.0 ||
				b["limit_micros"] != 1000.0 || b["budget"] != "demo-daily" || b["on_exceed"] != "block" {
				t.Errorf("body = %v", b)
			}
		})
	}
}

// TestWebhookNeverBlocks sends to a receiver that hangs: Notify must return
// at once, overflowing the queue into counted drops.
func TestWebhookNeverBlocks(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-release }))
	defer srv.Close()
	defer close(release)
	w := newWebhook(t, srv.URL, 4)
	start := time.Now()
	for range 1000 {
		w.Notify(crossing(50))
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("1000 Notify calls took %v", d)
	}
	// One is in flight, four wait in the queue, the rest are dropped.
	if s := w.Stats(); s.Dropped < 995 || s.Dropped > 996 {
		t.Errorf("stats %+v, want 995 or 996 dropped", s)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := w.Close(ctx); err == nil {
		t.Error("Close with a hung receiver: want the context's error")
	}
	s := w.Stats()
	if s.Delivered != 0 || s.Failed+s.Dropped != 1000 {
		t.Errorf("after Close: %+v; every crossing should be failed or dropped", s)
	}
	w.Notify(crossing(80))
	if got := w.Stats().Dropped; got != s.Dropped+1 {
		t.Errorf("Notify after Close: dropped %d, want %d", got, s.Dropped+1)
	}
}

func TestWebhookFromTracker(t *testing.T) {
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { calls.Add(1) }))
	defer srv.Close()
	w := newWebhook(t, srv.URL, 16)
	clk := &clock{now: date("2026-11-22T10:00:00Z")}
	tr := newTracker(t, budget.NewMemoryStore(clk.Now), clk, w, budget.Budget{Name: "d", Scope: demo, Period: daily, LimitMicros: 100})
	if _, err := tr.Charge(context.Background(), []budget.Scope{demo}, 100); err != nil {
		t.Fatal(err)
	}
	closeWebhook(t, w)
	if calls.Load() != 3 || w.Stats().Delivered != 3 {
		t.Errorf("calls %d, stats %+v; want the three crossings delivered", calls.Load(), w.Stats())
	}
}

func TestNewWebhookRejects(t *testing.T) {
	for _, u := range []string{"", "example.com/hook", "ftp://example.com", "http://"} {
		if _, err := budget.NewWebhook(budget.WebhookConfig{URL: u}); err == nil {
			t.Errorf("NewWebhook(%q): no error", u)
		}
	}
}
