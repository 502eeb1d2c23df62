package policy

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/bundle"
)

// bundleServer serves one bundle the way OPA's bundle servers do: with an
// ETag, answering 304 to a matching If-None-Match.
type bundleServer struct {
	mu          sync.Mutex
	body        []byte
	etag        string
	status      int // when set, every request gets it
	requests    int
	notModified int
	auth        string
}

func (s *bundleServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests++
	s.auth = r.Header.Get("Authorization")
	switch {
	case s.status != 0:
		w.WriteHeader(s.status)
	case r.Header.Get("If-None-Match") == s.etag:
		s.notModified++
		w.WriteHeader(http.StatusNotModified)
	default:
		w.Header().Set("ETag", s.etag)
		w.Header().Set("Content-Type", "application/gzip")
		_, _ = w.Write(s.body)
	}
}

// serve makes the server hand out a bundle of the Rego fixture, with the
// given manifest revision.
func (s *bundleServer) serve(t *testing.T, fixture, revision string) {
	t.Helper()
	raw, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	b := bundle.Bundle{
		Manifest: bundle.Manifest{Revision: revision},
		Modules:  []bundle.ModuleFile{{URL: "/sluice/policy.rego", Path: "/sluice/policy.rego", Raw: raw}},
		Data:     map[string]any{"bundled": map[string]any{"revision": revision}},
	}
	var buf bytes.Buffer
	if err := bundle.NewWriter(&buf).Write(b); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(buf.Bytes())
	s.mu.Lock()
	defer s.mu.Unlock()
	s.body, s.etag, s.status = buf.Bytes(), `"`+hex.EncodeToString(sum[:8])+`"`, 0
}

func (s *bundleServer) fail(status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status = status
}

func (s *bundleServer) counts() (requests, notModified int, auth string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests, s.notModified, s.auth
}

func startBundleServer(t *testing.T) (*bundleServer, string) {
	t.Helper()
	s := &bundleServer{}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return s, srv.URL + "/bundles/sluice.tar.gz"
}

func TestBundlePolling(t *testing.T) {
	srv, url := startBundleServer(t)
	srv.serve(t, "testdata/reload/v1.rego", "r1")
	var log syncBuffer
	e := newTestEngine(t, Options{
		Bundle:      &BundleOptions{URL: url, MinDelay: time.Hour, BearerToken: "s3cret"},
		DecisionLog: &log,
	})
	if c := limitClass(t, e); c != "v1" || e.Revision() != "r1" {
		t.Fatalf("limit class %q, revision %q; want v1, r1", c, e.Revision())
	}
	if _, _, auth := srv.counts(); auth != "Bearer s3cret" {
		t.Errorf("Authorization = %q, want the bearer token", auth)
	}

	steps := []struct {
		name     string
		change   func()
		wantErr  string
		want     string // limit class served afterwards
		revision string
	}{
		{"unchanged", func() {}, "", "v1", "r1"},
		{"new bundle", func() { srv.serve(t, "testdata/reload/v2.rego", "r2") }, "", "v2", "r2"},
		{"broken bundle", func() { srv.serve(t, "testdata/reload/broken.rego", "r3") }, "rego_parse_error", "v2", "r2"},
		{"still broken", func() {}, "rego_parse_error", "v2", "r2"},
		{"server error", func() { srv.fail(http.StatusInternalServerError) }, "server answered 500 Internal Server Error", "v2", "r2"},
		{"recovered", func() { srv.serve(t, "testdata/reload/v1.rego", "r4") }, "", "v1", "r4"},
	}
	for _, s := range steps {
		s.change()
		err := e.Reload(context.Background())
		switch {
		case s.wantErr == "" && err != nil:
			t.Fatalf("%s: Reload = %v", s.name, err)
		case s.wantErr != "" && (err == nil || !strings.Contains(err.Error(), s.wantErr)):
			t.Fatalf("%s: Reload = %v, want an error containing %q", s.name, err, s.wantErr)
		}
		if c := limitClass(t, e); c != s.want || e.Revision() != s.revision {
			t.Fatalf("%s: limit class %q, revision %q; want %q, %q", s.name, c, e.Revision(), s.want, s.revision)
		}
	}
	if _, notModified, _ := srv.counts(); notModified != 1 {
		t.Errorf("server answered 304 %d times, want 1", notModified)
	}
	if s := e.Stats(); s.Reloads != 2 || s.ReloadErrors != 3 {
		t.Errorf("Stats = %+v, want 2 reloads, 3 reload errors", s)
	}

	// The decision log names the bundle revision each decision used.
	_ = e.Close()
	var revisions []string
	for line := range strings.Lines(log.String()) {
		var ev struct {
			Bundles map[string]struct{ Revision string } `json:"bundles"`
		}
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatal(err)
		}
		revisions = append(revisions, ev.Bundles["sluice"].Revision)
	}
	if got := strings.Join(revisions, ","); got != "r1,r1,r2,r2,r2,r2,r4" {
		t.Errorf("decision-log bundle revisions = %s", got)
	}
}

func TestBundlePollsOnItsOwn(t *testing.T) {
	srv, url := startBundleServer(t)
	srv.serve(t, "testdata/reload/v1.rego", "r1")
	got := make(reloads, 10)
	e := newTestEngine(t, Options{
		Bundle:   &BundleOptions{URL: url, MinDelay: 10 * time.Millisecond, MaxDelay: 20 * time.Millisecond},
		OnReload: func(err error) { got <- err },
	})
	srv.serve(t, "testdata/reload/v2.rego", "r2")
	if err := got.next(t); err != nil {
		t.Fatalf("reload: %v", err)
	}
	if c := limitClass(t, e); c != "v2" {
		t.Fatalf("limit class = %q, want v2", c)
	}
	// Polling goes on, and an unchanged bundle costs a 304, not a reload.
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, notModified, _ := srv.counts(); notModified >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no conditional polls within 10s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if s := e.Stats(); s.Reloads != 1 {
		t.Errorf("Reloads = %d, want 1", s.Reloads)
	}
}

func TestBundleStartup(t *testing.T) {
	tests := []struct {
		name  string
		setup func(*testing.T, *bundleServer)
		want  string
	}{
		{"not found", func(_ *testing.T, s *bundleServer) { s.fail(http.StatusNotFound) }, "server answered 404 Not Found"},
		{"broken", func(t *testing.T, s *bundleServer) { s.serve(t, "testdata/reload/broken.rego", "r1") }, "rego_parse_error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, url := startBundleServer(t)
			tt.setup(t, srv)
			_, err := New(context.Background(), Options{Bundle: &BundleOptions{URL: url + "?token=x"}})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New = %v, want an error containing %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "token=x") {
				t.Errorf("error %q leaks the URL's query", err)
			}
		})
	}
}
