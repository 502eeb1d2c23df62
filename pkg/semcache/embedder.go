package semcache

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/sluice-gw/sluice/pkg/jsonpost"
)

const (
	defaultEmbedTimeout     = 500 * time.Millisecond
	defaultMaxResponseBytes = 8 << 20
	defaultBreakerCooldown  = 10 * time.Second
	// maxDims bounds a vector from the backend: the largest common
	// embedding models have 4096 dimensions.
	maxDims = 8192
)

// HTTPEmbedderConfig configures NewHTTPEmbedder. Zero fields take the
// defaults shown.
type HTTPEmbedderConfig struct {
	// Endpoint is the API's base URL: "https://api.openai.com/v1" or a
	// server root such as "http://tei:8080"; "/v1" is added when absent.
	Endpoint string
	// APIKey is sent as a bearer token; "" sends none. Never logged.
	APIKey string
	// Model is the embedding model. Required.
	Model string
	// Dimensions, when positive, asks models that can shorten their
	// vectors (OpenAI's text-embedding-3) for that many.
	Dimensions int
	// Timeout bounds one call, connection included; default 500ms.
	Timeout time.Duration
	// MaxResponseBytes bounds the answer read; default 8 MiB.
	MaxResponseBytes int64
	// BreakerFailures consecutive failures stop calls for BreakerCooldown
	// (default 5 and 10s); then one trial call decides whether they
	// resume.
	BreakerFailures int
	BreakerCooldown time.Duration
	// Transport replaces http.DefaultTransport, for proxies and tests.
	Transport http.RoundTripper
}

// httpEmbedder calls an OpenAI-compatible POST /v1/embeddings.
type httpEmbedder struct {
	model  string
	dims   int
	client *jsonpost.Client[[][]float32]
}

// NewHTTPEmbedder validates cfg and returns an Embedder with its own HTTP
// client and circuit breaker. Its errors wrap ErrUnavailable (and
// ErrBreakerOpen while the breaker is open), or the caller's context
// error when that ended the call.
func NewHTTPEmbedder(cfg HTTPEmbedderConfig) (Embedder, error) {
	u, err := url.Parse(cfg.Endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("semcache: endpoint %q: want an absolute http or https URL", cfg.Endpoint)
	}
	if cfg.Model == "" {
		return nil, errors.New("semcache: an embedding model is required")
	}
	if cfg.Dimensions < 0 || cfg.Dimensions > maxDims {
		return nil, fmt.Errorf("semcache: dimensions %d: want 0 to %d", cfg.Dimensions, maxDims)
	}
	base := strings.TrimSuffix(u.String(), "/")
	if !strings.HasSuffix(base, "/v1") {
		base += "/v1"
	}
	return &httpEmbedder{
		model: cfg.Model,
		dims:  cfg.Dimensions,
		client: jsonpost.NewClient[[][]float32](jsonpost.Settings{
			Name:            "semcache-embeddings",
			URL:             base + "/embeddings",
			APIKey:          cfg.APIKey,
			Timeout:         cfg.Timeout,
			Transport:       cfg.Transport,
			MaxBytes:        cfg.MaxResponseBytes,
			BreakerFailures: cfg.BreakerFailures,
			BreakerCooldown: cfg.BreakerCooldown,
		}, jsonpost.Defaults{Timeout: defaultEmbedTimeout, MaxBytes: defaultMaxResponseBytes, BreakerCooldown: defaultBreakerCooldown}),
	}, nil
}

// Embed returns one vector per text, in order.
func (e *httpEmbedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	if len(texts) == 0 {
		return nil, nil
	}
	vs, err := e.call(ctx, texts)
	switch {
	case err == nil:
		return vs, nil
	case errors.As(err, new(jsonpost.CallerGone)):
		return nil, fmt.Errorf("embeddings: %w", ctx.Err())
	case errors.Is(err, jsonpost.ErrOpen):
		return nil, fmt.Errorf("embeddings: %w: %w", ErrUnavailable, ErrBreakerOpen)
	default:
		return nil, fmt.Errorf("embeddings: %w: %w", ErrUnavailable, err)
	}
}

type embedRequest struct {
	Model          string   `json:"model"`
	Input          []string `json:"input"`
	EncodingFormat string   `json:"encoding_format"`
	Dimensions     int      `json:"dimensions,omitempty"`
}

func (e *httpEmbedder) call(ctx context.Context, texts []string) ([][]float32, error) {
	body, err := json.Marshal(embedRequest{Model: e.model, Input: texts, EncodingFormat: "float", Dimensions: e.dims})
	if err != nil {
		return nil, err
	}
	// The response body never reaches an error: it may quote the text.
	return e.client.Call(ctx, body, func(raw []byte) ([][]float32, error) { return parseEmbeddings(raw, len(texts)) })
}

type embedResponse struct {
	Data []struct {
		Index     *int      `json:"index"`
		Embedding []float64 `json:"embedding"`
	} `json:"data"`
}

// parseEmbeddings reads an OpenAI embeddings answer for want inputs: one
// vector per index 0..want-1, all of one length, finite and not all zero.
func parseEmbeddings(raw []byte, want int) ([][]float32, error) {
	var r embedResponse
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, errors.New("malformed embeddings response")
	}
	if len(r.Data) != want {
		return nil, fmt.Errorf("embeddings response has %d vectors, want %d", len(r.Data), want)
	}
	out := make([][]float32, want)
	dims := -1
	for i, d := range r.Data {
		idx := i
		if d.Index != nil {
			idx = *d.Index
		}
		if idx < 0 || idx >= want || out[idx] != nil {
			return nil, fmt.Errorf("embeddings response: data[%d]: bad or repeated index", i)
		}
		if dims == -1 {
			dims = len(d.Embedding)
		}
		if len(d.Embedding) == 0 || len(d.Embedding) > maxDims || len(d.Embedding) != dims {
			return nil, fmt.Errorf("embeddings response: data[%d]: %d dimensions", i, len(d.Embedding))
		}
		v := make([]float32, dims)
		nonzero := false
		for j, x := range d.Embedding {
			if math.IsNaN(x) || math.Abs(x) > math.MaxFloat32 {
				return nil, fmt.Errorf("embeddings response: data[%d]: value out of range", i)
			}
			v[j] = float32(x)
			nonzero = nonzero || v[j] != 0
		}
		if !nonzero {
			return nil, fmt.Errorf("embeddings response: data[%d]: zero vector", i)
		}
		out[idx] = v
	}
	return out, nil
}
