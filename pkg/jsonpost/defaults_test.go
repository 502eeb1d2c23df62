package jsonpost

import (
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
