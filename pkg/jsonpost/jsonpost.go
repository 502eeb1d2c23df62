// Package jsonpost makes the one kind of call Sluice's external analysis
// services need (Presidio, moderation, embeddings): a JSON POST with an
// optional bearer key and a bounded reply. Errors never carry the reply's
// body, because it may quote the text being analysed.
package jsonpost

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
)

// Post sends body to url and returns the reply of a 2xx answer, of at most
// maxBytes. Any other status, or a longer reply, is an error that names
// only the status or the size.
func Post(ctx context.Context, client *http.Client, url, apiKey string, body []byte, maxBytes int64) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if apiKey != "" {
		req.Header.Set("Authorization", "Bearer "+apiKey)
	}
	resp, err := client.Do(req) // #nosec G704 -- the URL is operator configuration
	if err != nil {
		return nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading response: %w", err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, fmt.Errorf("status %d", resp.StatusCode)
	}
	if int64(len(raw)) > maxBytes {
		return nil, fmt.Errorf("response over %d bytes", maxBytes)
	}
	return raw, nil
}
