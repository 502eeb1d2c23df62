package jsonpost_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

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
