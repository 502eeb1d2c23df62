package jsonpost

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestDefaults checks that zero and negative settings take the service's
// defaults, and that set ones are kept.
func TestDefaults(t *testing.T) {
	d := Defaults{Timeout: 3 * time.Second, MaxBytes: 10, BreakerCooldown: 7 * time.Second}
	for _, s := range []Settings{{}, {Timeout: -1, MaxBytes: -1, BreakerCooldown: -1, BreakerFailures: -1}} {
		c := NewClient[int](s, d)
		if c.client.Timeout != d.Timeout || c.maxBytes != d.MaxBytes {
			t.Errorf("%+v: timeout %v, max bytes %d; want the defaults", s, c.client.Timeout, c.maxBytes)
		}
	}
	c := NewClient[int](Settings{Timeout: time.Second, MaxBytes: 99}, d)
	if c.client.Timeout != time.Second || c.maxBytes != 99 {
		t.Errorf("set values: timeout %v, max bytes %d", c.client.Timeout, c.maxBytes)
	}
}

// TestDefaultBreakerFailures: a zero or negative failure count opens the
// breaker after DefaultBreakerFailures failures, not at the first.
func TestDefaultBreakerFailures(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "down", http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	parse := func([]byte) (int, error) { return 0, nil }
	for _, n := range []int{0, -1} {
		c := NewClient[int](Settings{URL: srv.URL, BreakerFailures: n}, Defaults{Timeout: time.Second, MaxBytes: 1 << 10, BreakerCooldown: time.Hour})
		for i := range DefaultBreakerFailures {
			if _, err := c.Call(context.Background(), []byte("{}"), parse); err == nil || errors.Is(err, ErrOpen) {
				t.Fatalf("BreakerFailures %d, call %d: err = %v, want a failure with the breaker closed", n, i+1, err)
			}
		}
		if _, err := c.Call(context.Background(), []byte("{}"), parse); !errors.Is(err, ErrOpen) {
			t.Fatalf("BreakerFailures %d, after %d failures: err = %v, want the breaker open", n, DefaultBreakerFailures, err)
		}
	}
}
