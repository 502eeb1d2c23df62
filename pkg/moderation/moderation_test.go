package moderation

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const secretText = "my card is 4111 1111 1111 1111"

// fakeService answers every POST with status and body, after delay, and
// records the last request it saw.
type fakeService struct {
	mu     sync.Mutex
	status int
	body   string
	delay  time.Duration
	calls  atomic.Int32
	last   atomic.Pointer[http.Request]
	lastB  atomic.Pointer[[]byte]
}

func (f *fakeService) start(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.calls.Add(1)
		b, _ := io.ReadAll(r.Body)
		f.last.Store(r)
		f.lastB.Store(&b)
		f.mu.Lock()
		status, body, delay := f.status, f.body, f.delay
		f.mu.Unlock()
		if delay > 0 {
			select {
			case <-time.After(delay):
			case <-r.Context().Done():
				return
			}
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/v1"
}

func (f *fakeService) set(status int, body string, delay time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.status, f.body, f.delay = status, body, delay
}

func TestClientCheck(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		body     string
		delay    time.Duration
		failOpen bool
		want     Verdict
		wantErr  bool
	}{
		{"flagged", 200, `{"id":"modr-1","model":"omni-moderation-latest","results":[{"flagged":true,
			"categories":{"violence":true,"harassment":false,"violence/graphic":true},
			"category_scores":{"violence":0.91,"harassment":0.01,"violence/graphic":0.7}}]}`,
			0, false, Verdict{Flagged: true, Categories: []string{"violence", "violence/graphic"}}, false},
		{"clean", 200, `{"results":[{"flagged":false,"categories":{"violence":false},"category_scores":{"violence":0.01}}]}`,
			0, false, Verdict{}, false},
		{"threshold flags a low score", 200, `{"results":[{"flagged":false,"categories":{"hate":false},"category_scores":{"hate":0.45}}]}`,
			0, false, Verdict{Flagged: true, Categories: []string{"hate"}}, false},
		{"server error fails closed", 500, `{"error":{"message":"boom"}}`, 0, false, Verdict{}, true},
		{"server error fails open", 500, `oops`, 0, true, Verdict{Skipped: true}, false},
		{"timeout fails closed", 200, `{"results":[{"flagged":false}]}`, time.Second, false, Verdict{}, true},
		{"timeout fails open", 200, `{"results":[{"flagged":false}]}`, time.Second, true, Verdict{Skipped: true}, false},
		{"malformed JSON", 200, `{"results":[{"flagged":tru`, 0, false, Verdict{}, true},
		{"no results", 200, `{"results":[]}`, 0, false, Verdict{}, true},
		{"no flagged field", 200, `{"results":[{"categories":{}}]}`, 0, false, Verdict{}, true},
		{"HTML from a proxy", 200, `<html>bad gateway</html>`, 0, true, Verdict{Skipped: true}, false},
		{"body over the bound", 200, `{"results":[{"flagged":false,"pad":"` + strings.Repeat("x", 2048) + `"}]}`, 0, false, Verdict{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeService{status: tt.status, body: tt.body, delay: tt.delay}
			c, err := New(Config{
				HTTP: HTTP{Endpoint: f.start(t), APIKey: "sk-test", Timeout: 100 * time.Millisecond,
					MaxResponseBytes: 1024, FailOpen: tt.failOpen},
				Thresholds: map[string]float64{"hate": 0.4},
			})
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.Check(context.Background(), secretText)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				if !errors.Is(err, ErrUnavailable) {
					t.Errorf("err = %v, does not wrap ErrUnavailable", err)
				}
				// The card number with its spaces: the fake service's port,
				// in the URL the error names, may hold its digits.
				if strings.Contains(err.Error(), "4111 1111") || strings.Contains(err.Error(), "boom") {
					t.Errorf("err = %v quotes content", err)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("verdict (-want +got):\n%s", diff)
			}
			st := c.Stats()
			if tt.failOpen && st.Skipped != 1 {
				t.Errorf("stats = %+v, want one skip", st)
			}
			if tt.delay > 0 {
				return
			}
			r := f.last.Load()
			if r.URL.Path != "/v1/moderations" || r.Header.Get("Authorization") != "Bearer sk-test" {
				t.Errorf("request %s with auth %q", r.URL.Path, r.Header.Get("Authorization"))
			}
			var req moderationRequest
			if err := json.Unmarshal(*f.lastB.Load(), &req); err != nil || req != (moderationRequest{Model: DefaultModel, Input: secretText}) {
				t.Errorf("request body %s (%v)", *f.lastB.Load(), err)
			}
		})
	}
}

func TestBreakerStopsCalls(t *testing.T) {
	f := &fakeService{status: 503}
	c, err := New(Config{HTTP: HTTP{Endpoint: f.start(t), BreakerFailures: 3, BreakerCooldown: time.Hour}})
	if err != nil {
		t.Fatal(err)
	}
	for range 10 {
		if _, err := c.Check(context.Background(), "x"); !errors.Is(err, ErrUnavailable) {
			t.Fatalf("err = %v, want ErrUnavailable", err)
		}
	}
	if n := f.calls.Load(); n != 3 {
		t.Errorf("service called %d times, want 3 before the breaker opens", n)
	}
	if st := c.Stats(); st.Calls != 10 || st.Errors != 10 {
		t.Errorf("stats = %+v", st)
	}
}

func TestBreakerRecovers(t *testing.T) {
	f := &fakeService{status: 500}
	c, err := New(Config{HTTP: HTTP{Endpoint: f.start(t), BreakerFailures: 1, BreakerCooldown: 20 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Check(context.Background(), "x"); err == nil {
		t.Fatal("want an error from a 500")
	}
	f.set(200, `{"results":[{"flagged":false}]}`, 0)
	if _, err := c.Check(context.Background(), "x"); err == nil {
		t.Fatal("want the open breaker to refuse")
	}
	time.Sleep(30 * time.Millisecond)
	if _, err := c.Check(context.Background(), "x"); err != nil {
		t.Fatalf("after the cooldown: %v", err)
	}
}

func TestCallerCancelledIsNotAServiceFailure(t *testing.T) {
	f := &fakeService{status: 200, body: `{"results":[{"flagged":false}]}`, delay: time.Second}
	c, err := New(Config{HTTP: HTTP{Endpoint: f.start(t), FailOpen: true, BreakerFailures: 1}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := c.Check(ctx, "x"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the caller's deadline, even failing open", err)
	}
	f.set(200, `{"results":[{"flagged":false}]}`, 0)
	if _, err := c.Check(context.Background(), "x"); err != nil {
		t.Fatalf("breaker opened on the caller's cancellation: %v", err)
	}
}

func TestNewRejects(t *testing.T) {
	for _, ep := range []string{"", "api.openai.com/v1", "ftp://x/v1", "http://"} {
		if _, err := New(Config{HTTP: HTTP{Endpoint: ep}}); err == nil {
			t.Errorf("endpoint %q accepted", ep)
		}
	}
	if _, err := NewGuard(GuardConfig{HTTP: HTTP{Endpoint: "http://guard/v1"}}); err == nil {
		t.Error("guard without a model accepted")
	}
}

func TestBlankTextIsNotSent(t *testing.T) {
	f := &fakeService{status: 500}
	c, err := New(Config{HTTP: HTTP{Endpoint: f.start(t)}})
	if err != nil {
		t.Fatal(err)
	}
	g, err := NewGuard(GuardConfig{HTTP: HTTP{Endpoint: f.start(t)}, Model: "guard"})
	if err != nil {
		t.Fatal(err)
	}
	for _, ch := range []Checker{c, g} {
		if v, err := ch.Check(context.Background(), " \n"); err != nil || v.Flagged || v.Skipped {
			t.Errorf("%T: %+v, %v", ch, v, err)
		}
	}
	if n := f.calls.Load(); n != 0 {
		t.Errorf("%d calls for blank text", n)
	}
}
