package semcache

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluice-gw/sluice/pkg/semcache/semcachetest"
)

func newHTTPEmbedder(t *testing.T, cfg HTTPEmbedderConfig) Embedder {
	t.Helper()
	if cfg.Model == "" {
		cfg.Model = "embed-test"
	}
	e, err := NewHTTPEmbedder(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestHTTPEmbedderMatchesTheFake(t *testing.T) {
	srv := semcachetest.NewServer(t, 64)
	e := newHTTPEmbedder(t, HTTPEmbedderConfig{Endpoint: srv.URL})
	texts := []string{"weather in Paris", "capital of Kenya"}
	got, err := e.Embed(context.Background(), texts)
	if err != nil {
		t.Fatal(err)
	}
	for i, text := range texts {
		want := semcachetest.Embedder{Dims: 64}.Vector(text)
		if len(got[i]) != 64 || got[i][0] != want[0] || got[i][63] != want[63] {
			t.Fatalf("vector %d differs from the embedder's", i)
		}
	}
}

func TestHTTPEmbedderRequest(t *testing.T) {
	tests := []struct {
		name, endpoint, wantPath string
		dims                     int
		wantBody                 string
	}{
		{"base with /v1", "/v1", "/v1/embeddings", 0, `{"model":"m","input":["hi"],"encoding_format":"float"}`},
		{"server root", "", "/v1/embeddings", 0, `{"model":"m","input":["hi"],"encoding_format":"float"}`},
		{"trailing slash", "/v1/", "/v1/embeddings", 0, `{"model":"m","input":["hi"],"encoding_format":"float"}`},
		{"shortened vectors", "/v1", "/v1/embeddings", 256, `{"model":"m","input":["hi"],"encoding_format":"float","dimensions":256}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var path, auth, body string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				path, auth, body = r.URL.Path, r.Header.Get("Authorization"), string(b)
				_, _ = io.WriteString(w, `{"data":[{"index":0,"embedding":[0.5,0.5]}]}`)
			}))
			defer srv.Close()
			e := newHTTPEmbedder(t, HTTPEmbedderConfig{Endpoint: srv.URL + tt.endpoint, Model: "m", APIKey: "sk-test", Dimensions: tt.dims})
			if _, err := e.Embed(context.Background(), []string{"hi"}); err != nil {
				t.Fatal(err)
			}
			if path != tt.wantPath || auth != "Bearer sk-test" || body != tt.wantBody {
				t.Fatalf("got %s %q %s", path, auth, body)
			}
		})
	}
}

func TestNewHTTPEmbedderRejects(t *testing.T) {
	for name, cfg := range map[string]HTTPEmbedderConfig{
		"relative URL":  {Endpoint: "/v1", Model: "m"},
		"other scheme":  {Endpoint: "ftp://x/v1", Model: "m"},
		"no model":      {Endpoint: "http://x/v1"},
		"bad dimension": {Endpoint: "http://x/v1", Model: "m", Dimensions: -1},
	} {
		if _, err := NewHTTPEmbedder(cfg); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestHTTPEmbedderFailures(t *testing.T) {
	tests := []struct {
		name    string
		handler http.HandlerFunc
	}{
		{"server error", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusInternalServerError) }},
		{"rate limited", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusTooManyRequests) }},
		{"malformed", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, `{"data":`) }},
		{"wrong count", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, `{"data":[]}`) }},
		{"too large", func(w http.ResponseWriter, _ *http.Request) {
			_, _ = io.WriteString(w, `{"data":[{"embedding":[`+strings.Repeat("0.1,", 400)+`0.1]}]}`)
		}},
		{"timeout", func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			select {
			case <-time.After(time.Second):
			case <-r.Context().Done():
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(tt.handler)
			defer srv.Close()
			e := newHTTPEmbedder(t, HTTPEmbedderConfig{Endpoint: srv.URL, Timeout: 50 * time.Millisecond, MaxResponseBytes: 1000})
			_, err := e.Embed(context.Background(), []string{"hi"})
			if !errors.Is(err, ErrUnavailable) || errors.Is(err, ErrBreakerOpen) {
				t.Fatalf("err = %v, want ErrUnavailable only", err)
			}
		})
	}
}

func TestHTTPEmbedderBreaker(t *testing.T) {
	srv := semcachetest.NewServer(t, 16)
	e := newHTTPEmbedder(t, HTTPEmbedderConfig{Endpoint: srv.URL, BreakerFailures: 3, BreakerCooldown: 100 * time.Millisecond})
	ctx := context.Background()
	srv.Fail(http.StatusBadGateway)
	for i := range 3 {
		if _, err := e.Embed(ctx, []string{"hi"}); !errors.Is(err, ErrUnavailable) || errors.Is(err, ErrBreakerOpen) {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	// Open: no call reaches the backend.
	before := srv.Calls()
	if _, err := e.Embed(ctx, []string{"hi"}); !errors.Is(err, ErrBreakerOpen) || !errors.Is(err, ErrUnavailable) {
		t.Fatalf("open breaker: %v", err)
	}
	if srv.Calls() != before {
		t.Fatal("a call reached the backend while the breaker was open")
	}
	// After the cool-down one trial call goes through; a failure opens
	// the breaker again.
	time.Sleep(150 * time.Millisecond)
	if _, err := e.Embed(ctx, []string{"hi"}); errors.Is(err, ErrBreakerOpen) || !errors.Is(err, ErrUnavailable) {
		t.Fatalf("trial call: %v", err)
	}
	if _, err := e.Embed(ctx, []string{"hi"}); !errors.Is(err, ErrBreakerOpen) {
		t.Fatalf("after a failed trial: %v", err)
	}
	// A successful trial closes it.
	srv.Fail(0)
	time.Sleep(150 * time.Millisecond)
	for i := range 3 {
		if _, err := e.Embed(ctx, []string{"hi"}); err != nil {
			t.Fatalf("recovered call %d: %v", i, err)
		}
	}
}

func TestHTTPEmbedderTimeoutsOpenTheBreaker(t *testing.T) {
	srv := semcachetest.NewServer(t, 16)
	srv.Delay(200 * time.Millisecond)
	e := newHTTPEmbedder(t, HTTPEmbedderConfig{Endpoint: srv.URL, Timeout: 20 * time.Millisecond, BreakerFailures: 2, BreakerCooldown: time.Minute})
	for range 2 {
		if _, err := e.Embed(context.Background(), []string{"hi"}); !errors.Is(err, ErrUnavailable) {
			t.Fatalf("slow call: %v", err)
		}
	}
	start := time.Now()
	if _, err := e.Embed(context.Background(), []string{"hi"}); !errors.Is(err, ErrBreakerOpen) {
		t.Fatalf("after timeouts: %v", err)
	}
	if time.Since(start) > 10*time.Millisecond {
		t.Fatal("an open breaker still waited")
	}
}

func TestHTTPEmbedderCallerCancelDoesNotTrip(t *testing.T) {
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		// The server notices a closed connection only once the body is
		// read.
		_, _ = io.Copy(io.Discard, r.Body)
		<-r.Context().Done()
	}))
	defer srv.Close()
	e := newHTTPEmbedder(t, HTTPEmbedderConfig{Endpoint: srv.URL, BreakerFailures: 1, Timeout: time.Second})
	for range 3 {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
		_, err := e.Embed(ctx, []string{"hi"})
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ErrUnavailable) {
			t.Fatalf("err = %v, want the caller's deadline", err)
		}
	}
	if calls.Load() != 3 {
		t.Fatalf("backend got %d calls, want 3: the caller's deadline opened the breaker", calls.Load())
	}
}

func TestIndexFailsOpenOnTyped(t *testing.T) {
	srv := semcachetest.NewServer(t, 32)
	e := newHTTPEmbedder(t, HTTPEmbedderConfig{Endpoint: srv.URL, BreakerFailures: 1, BreakerCooldown: time.Minute})
	ix := newIndex(t, Options{Embedder: e})
	mustAdd(t, ix, "s", "weather in Paris", "k")
	srv.Fail(http.StatusServiceUnavailable)
	for _, want := range []error{ErrUnavailable, ErrBreakerOpen} {
		_, _, ok, err := ix.Lookup(context.Background(), "s", "capital of Kenya", 0.9)
		if ok || !errors.Is(err, want) {
			t.Fatalf("Lookup = %v, %v; want %v", ok, err, want)
		}
	}
}

func TestParseEmbeddings(t *testing.T) {
	tests := []struct {
		name, raw string
		want      int
		ok        bool
	}{
		{"in order", `{"data":[{"index":0,"embedding":[1,0]},{"index":1,"embedding":[0,1]}]}`, 2, true},
		{"out of order", `{"data":[{"index":1,"embedding":[1,0]},{"index":0,"embedding":[0,1]}]}`, 2, true},
		{"no index", `{"data":[{"embedding":[1,0]}]}`, 1, true},
		{"repeated index", `{"data":[{"index":0,"embedding":[1,0]},{"index":0,"embedding":[0,1]}]}`, 2, false},
		{"index out of range", `{"data":[{"index":3,"embedding":[1,0]}]}`, 1, false},
		{"ragged", `{"data":[{"index":0,"embedding":[1,0]},{"index":1,"embedding":[1]}]}`, 2, false},
		{"empty vector", `{"data":[{"index":0,"embedding":[]}]}`, 1, false},
		{"zero vector", `{"data":[{"index":0,"embedding":[0,0]}]}`, 1, false},
		{"out of float32 range", `{"data":[{"index":0,"embedding":[1e300,0]}]}`, 1, false},
		{"strings", `{"data":[{"index":0,"embedding":"AAAA"}]}`, 1, false},
		{"not JSON", `<html>`, 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseEmbeddings([]byte(tt.raw), tt.want)
			if (err == nil) != tt.ok {
				t.Fatalf("err = %v, want ok=%v", err, tt.ok)
			}
			if tt.ok && len(got) != tt.want {
				t.Fatalf("%d vectors, want %d", len(got), tt.want)
			}
		})
	}
	got, _ := parseEmbeddings([]byte(`{"data":[{"index":1,"embedding":[1,0]},{"index":0,"embedding":[0,1]}]}`), 2)
	if got[0][1] != 1 || got[1][0] != 1 {
		t.Fatal("vectors not placed by index")
	}
}
