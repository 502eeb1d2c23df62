package semcachetest

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestTokens(t *testing.T) {
	tests := []struct{ in, want string }{
		{"How do I reset my password?", "reset password"},
		{"I can't log in", "not login"},
		{"Convert 1,500.25 USD", "convert 1500.25 usd"},
		{"Thnaks, which cities?", "city"},
		{"Dfeine serendipity", "meaning serendipity"},
		{"", ""},
	}
	for _, tt := range tests {
		got, want := strings.Join(Tokens(tt.in), " "), tt.want
		if got != want {
			t.Errorf("Tokens(%q) = %q, want %q", tt.in, got, want)
		}
	}
}

func TestHandler(t *testing.T) {
	srv := httptest.NewServer(Handler(Embedder{}))
	defer srv.Close()
	tests := []struct {
		body   string
		status int
		n      int
		dims   int
	}{
		{`{"model":"m","input":"hi"}`, 200, 1, DefaultDims},
		{`{"model":"m","input":["a","b"],"dimensions":32}`, 200, 2, 32},
		{`{"model":"m","input":[1,2]}`, 400, 0, 0},
		{`{"input":"hi"}`, 400, 0, 0},
		{`not json`, 400, 0, 0},
	}
	for _, tt := range tests {
		resp, err := http.Post(srv.URL+"/v1/embeddings", "application/json", bytes.NewReader([]byte(tt.body)))
		if err != nil {
			t.Fatal(err)
		}
		var out struct {
			Data []struct {
				Embedding []float32 `json:"embedding"`
			} `json:"data"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&out)
		_ = resp.Body.Close()
		if resp.StatusCode != tt.status || len(out.Data) != tt.n || (tt.n > 0 && len(out.Data[0].Embedding) != tt.dims) {
			t.Errorf("%s: status %d, %d vectors", tt.body, resp.StatusCode, len(out.Data))
		}
	}
}

func FuzzVector(f *testing.F) {
	for _, s := range []string{"", "How don't I 1,000.5 café", "’s’’", "a\x00b", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		vs, err := Embedder{Dims: 16}.Embed(context.Background(), []string{s})
		if err != nil {
			t.Fatal(err)
		}
		var ss float64
		for _, x := range vs[0] {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				t.Fatal("non-finite component")
			}
			ss += float64(x) * float64(x)
		}
		if math.Abs(ss-1) > 1e-3 {
			t.Fatalf("norm² %v, want 1", ss)
		}
	})
}
