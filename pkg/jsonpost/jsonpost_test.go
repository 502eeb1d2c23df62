package jsonpost_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sony/gobreaker/v2"

	"github.com/sluice-gw/sluice/pkg/jsonpost"
)

func TestPost(t *testing.T) {
	const secretText = "my card is 4111 1111 1111 1111"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Header.Get("Content-Type") != "application/json" {
			w.WriteHeader(http.StatusUnsupportedMediaType)
			return
		}
		switch r.URL.Path {
		case "/ok":
			if r.Header.Get("Authorization") != "Bearer k" {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			_, _ = w.Write(body)
		case "/fail":
			// A service that quotes what it was sent in its error.
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = w.Write(body)
		case "/big":
			_, _ = w.Write([]byte(strings.Repeat("x", 100)))
		}
	}))
	defer srv.Close()
	tests := []struct {
		name, path, key string
		max             int64
		want, wantErr   string
	}{
		{name: "reply", path: "/ok", key: "k", max: 1 << 10, want: `{"t":1}`},
		{name: "wrong key", path: "/ok", key: "x", max: 1 << 10, wantErr: "status 401"},
		{name: "error names the status only", path: "/fail", key: "k", max: 1 << 10, wantErr: "status 500"},
		{name: "bounded reply", path: "/big", max: 99, wantErr: "response over 99 bytes"},
		{name: "reply at the bound", path: "/big", max: 100, want: strings.Repeat("x", 100)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := `{"t":1}`
			if tt.path == "/fail" {
				body = `{"text":"` + secretText + `"}`
			}
			got, err := jsonpost.Post(context.Background(), srv.Client(), srv.URL+tt.path, tt.key, []byte(body), tt.max)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || string(got) != tt.want {
				t.Fatalf("Post = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestClientBreaker(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		_, _ = w.Write([]byte("not a number"))
	}))
	defer srv.Close()
	c := jsonpost.NewClient[int](jsonpost.Settings{
		Name: "test", URL: srv.URL, Timeout: time.Second, MaxBytes: 1 << 10,
		BreakerFailures: 2, BreakerCooldown: time.Hour,
	}, jsonpost.Defaults{})
	parse := func(raw []byte) (int, error) { return strconv.Atoi(string(raw)) }

	// A caller that has gone away says nothing about the service.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for range 3 {
		if _, err := c.Call(ctx, []byte("{}"), parse); !errors.As(err, new(jsonpost.CallerGone)) {
			t.Fatalf("canceled call: err = %v, want a CallerGone", err)
		}
	}
	// A reply the parser rejects is a failure like any other.
	for range 2 {
		if _, err := c.Call(context.Background(), []byte("{}"), parse); err == nil || errors.As(err, new(jsonpost.CallerGone)) {
			t.Fatalf("bad reply: err = %v, want a parse error", err)
		}
	}
	before := hits.Load()
	if _, err := c.Call(context.Background(), []byte("{}"), parse); !errors.Is(err, jsonpost.ErrOpen) || !errors.Is(err, gobreaker.ErrOpenState) {
		t.Fatalf("after 2 failures: err = %v, want the breaker open", err)
	}
	if hits.Load() != before {
		t.Fatal("an open breaker still called the service")
	}
}
