package semcachetest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// maxRequestBytes bounds a request body the handler reads.
const maxRequestBytes = 4 << 20

// Handler serves POST /v1/embeddings as OpenAI does, with e's vectors:
// "input" is a string or an array of strings, "dimensions" shortens the
// vectors. Mount it where an end-to-end test needs an embeddings backend.
func Handler(e Embedder) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/embeddings", func(w http.ResponseWriter, r *http.Request) {
		serveEmbeddings(w, r, e)
	})
	return mux
}

type request struct {
	Model      string          `json:"model"`
	Input      json.RawMessage `json:"input"`
	Dimensions int             `json:"dimensions"`
}

type datum struct {
	Object    string    `json:"object"`
	Index     int       `json:"index"`
	Embedding []float32 `json:"embedding"`
}

func serveEmbeddings(w http.ResponseWriter, r *http.Request, e Embedder) {
	raw, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBytes))
	if err != nil {
		http.Error(w, `{"error":{"message":"unreadable body"}}`, http.StatusBadRequest)
		return
	}
	var req request
	if json.Unmarshal(raw, &req) != nil || req.Model == "" {
		http.Error(w, `{"error":{"message":"want {model, input}"}}`, http.StatusBadRequest)
		return
	}
	var texts []string
	if err := json.Unmarshal(req.Input, &texts); err != nil {
		var one string
		if err := json.Unmarshal(req.Input, &one); err != nil {
			http.Error(w, `{"error":{"message":"input: want a string or an array of strings"}}`, http.StatusBadRequest)
			return
		}
		texts = []string{one}
	}
	if req.Dimensions > 0 && req.Dimensions <= 8192 {
		e.Dims = req.Dimensions
	}
	data := make([]datum, len(texts))
	for i, t := range texts {
		data[i] = datum{Object: "embedding", Index: i, Embedding: e.Vector(t)}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"object": "list", "model": req.Model, "data": data,
		"usage": map[string]int{"prompt_tokens": len(texts), "total_tokens": len(texts)},
	})
}

// Server is an embeddings backend on a loopback port for one test, whose
// failures and latency the test controls.
type Server struct {
	// URL is the server's root; the API is at URL + "/v1/embeddings".
	URL string

	handler http.Handler
	calls   atomic.Int64
	mu      sync.Mutex
	status  int
	delay   time.Duration
}

// NewServer starts a Server embedding with dims dimensions (0: DefaultDims)
// and stops it when t ends.
func NewServer(t testing.TB, dims int) *Server {
	t.Helper()
	s := &Server{handler: Handler(Embedder{Dims: dims})}
	hs := httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(hs.Close)
	s.URL = hs.URL
	return s
}

// Fail makes every later call answer status with an error body; 0
// restores normal answers.
func (s *Server) Fail(status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status = status
}

// Delay holds every later answer for d before writing it.
func (s *Server) Delay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delay = d
}

// Calls is the number of requests received.
func (s *Server) Calls() int64 { return s.calls.Load() }

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.calls.Add(1)
	s.mu.Lock()
	status, delay := s.status, s.delay
	s.mu.Unlock()
	// Read the body first: only then does the server notice a client
	// that gave up, and end the delay.
	raw, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBytes))
	if err != nil {
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(raw))
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
	}
	if status != 0 {
		http.Error(w, `{"error":{"message":"injected failure"}}`, status)
		return
	}
	s.handler.ServeHTTP(w, r)
}
