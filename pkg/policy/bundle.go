package policy

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"time"

	"github.com/open-policy-agent/opa/v1/bundle"
)

// bundleName is the name the decision log files bundle revisions under.
const bundleName = "sluice"

// bundleSource polls an OPA bundle server the way OPA does: a GET with
// If-None-Match, where 304 keeps the current bundle and 200 brings a
// gzipped tarball with the policy, data.json files and a .manifest.
type bundleSource struct {
	opts *BundleOptions
	// etag is the ETag of the bundle in service. It is only updated when a
	// bundle compiles, so a broken bundle is fetched and reported again on
	// the next poll rather than hidden behind a 304.
	etag string
}

func newBundleSource(opts *BundleOptions) *bundleSource { return &bundleSource{opts: opts} }

func (s *bundleSource) load(ctx context.Context, current *compiled) (*compiled, error) {
	raw, etag, err := s.fetch(ctx, current != nil)
	if err != nil || raw == nil {
		return nil, err
	}
	b, err := bundle.NewReader(bytes.NewReader(raw)).
		WithSizeLimitBytes(s.opts.MaxBytes).
		WithBundleEtag(etag).
		WithBundleName(bundleName).
		Read()
	if err != nil {
		return nil, fmt.Errorf("bundle %s: %w", s.redacted(), err)
	}
	rev := b.Manifest.Revision
	if rev == "" {
		rev = etag
	}
	if rev == "" {
		rev = contentRevision(&b)
	}
	p, err := compile(&b, rev)
	if err != nil {
		return nil, fmt.Errorf("bundle %s: %w", s.redacted(), err)
	}
	p.bundle = &bundleRef{name: bundleName, revision: b.Manifest.Revision}
	s.etag = etag
	return p, nil
}

// fetch returns the bundle's bytes and ETag, or nil bytes on 304.
func (s *bundleSource) fetch(ctx context.Context, conditional bool) ([]byte, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.opts.URL, nil)
	if err != nil {
		return nil, "", fmt.Errorf("bundle %s: %w", s.redacted(), err)
	}
	if conditional && s.etag != "" {
		req.Header.Set("If-None-Match", s.etag)
	}
	if s.opts.BearerToken != "" {
		req.Header.Set("Authorization", "Bearer "+s.opts.BearerToken)
	}
	resp, err := s.opts.HTTPClient.Do(req)
	if err != nil {
		return nil, "", fmt.Errorf("bundle %s: %w", s.redacted(), err)
	}
	defer func() { _ = resp.Body.Close() }() // a read error is what matters
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusNotModified:
		return nil, "", nil
	default:
		return nil, "", fmt.Errorf("bundle %s: server answered %s", s.redacted(), resp.Status)
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, s.opts.MaxBytes+1))
	if err != nil {
		return nil, "", fmt.Errorf("bundle %s: %w", s.redacted(), err)
	}
	if int64(len(raw)) > s.opts.MaxBytes {
		return nil, "", fmt.Errorf("bundle %s: larger than %d bytes", s.redacted(), s.opts.MaxBytes)
	}
	return raw, resp.Header.Get("ETag"), nil
}

// run polls after a random delay between MinDelay and MaxDelay, so a fleet
// of gateways does not poll in step.
func (s *bundleSource) run(ctx context.Context, reload func(context.Context) error) {
	timer := time.NewTimer(s.delay())
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
			_ = reload(ctx) // Reload reports its own errors
			timer.Reset(s.delay())
		}
	}
}

func (s *bundleSource) delay() time.Duration {
	spread := s.opts.MaxDelay - s.opts.MinDelay
	if spread <= 0 {
		return s.opts.MinDelay
	}
	return s.opts.MinDelay + rand.N(spread) //nolint:gosec // jitter, not a secret
}

func (*bundleSource) close() {}

// redacted is the URL without credentials or query, for messages.
func (s *bundleSource) redacted() string {
	u, err := url.Parse(s.opts.URL)
	if err != nil {
		return "(invalid URL)"
	}
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	return u.String()
}
