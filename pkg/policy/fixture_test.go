package policy

import (
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
)

// clock is the fixed evaluation time of every test.
var clock = time.Date(2026, 11, 21, 14, 3, 0, 0, time.UTC)

func fixedNow() time.Time { return clock }

// testCatalogue is what the fixture policies route to.
var testCatalogue = Catalogue{
	Tenants: map[string]Tenant{
		"acme": {
			Models: []string{"gpt-4o"},
			Labels: map[string]string{"tier": "gold"},
			Region: "eu",
			Teams:  map[string]Team{"search": {Models: []string{"gpt-4o"}}},
		},
	},
	Models: map[string]Model{
		"gpt-4o":      {Backend: "openai", Provider: "openai", UpstreamModel: "gpt-4o", Aliases: []string{"gpt4o"}},
		"gpt-4o-mini": {Backend: "openai", Provider: "openai", UpstreamModel: "gpt-4o-mini"},
		"claude":      {Backend: "anthropic", Provider: "anthropic", UpstreamModel: "claude-sonnet-4-5"},
	},
	Backends: map[string]Backend{
		"openai":    {Provider: "openai", Labels: map[string]string{"region": "us"}},
		"anthropic": {Provider: "anthropic"},
	},
}

// newTestEngine starts an engine on opts, with the test clock and a
// discarded log unless opts say otherwise, and closes it after the test.
func newTestEngine(t testing.TB, opts Options) *Engine {
	t.Helper()
	if opts.Now == nil {
		opts.Now = fixedNow
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	e, err := New(context.Background(), opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = e.Close() })
	return e
}

// copyDir copies a fixture directory into a fresh temporary directory.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// replaceFile writes the content of fixture src over dst the way editors
// do: to a temporary file, renamed into place.
func replaceFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	tmp := dst + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		t.Fatal(err)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func removeFile(t *testing.T, path string) {
	t.Helper()
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
}

// syncBuffer is a bytes.Buffer safe to write from the decision-log
// goroutine while a test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// input asks for model as a fully authenticated caller of tenant acme.
func input(model string) *Input {
	return &Input{
		Identity: Identity{Authenticated: true, Source: "api_key", Subject: "key:k1", Tenant: "acme", Team: "search"},
		Request:  Request{API: "chat_completions", Method: "POST", Path: "/v1/chat/completions", Model: model},
	}
}

func slogTo(b *syncBuffer) *slog.Logger { return slog.New(slog.NewTextHandler(b, nil)) }

func mustJSON(t *testing.T, v ast.Value) any {
	t.Helper()
	x, err := ast.JSON(v)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func decode(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func readJSON(t *testing.T, path string) any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return decode(t, b)
}
