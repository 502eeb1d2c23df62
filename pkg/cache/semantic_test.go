package cache

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/sluice-gw/sluice/pkg/config"
)

// fakeIndex treats texts as similar when they agree ignoring case and
// punctuation.
type fakeIndex struct {
	mu      sync.Mutex
	entries map[string]map[string]string // scope → normalised text → key
	err     error
	closed  bool
}

func norm(s string) string {
	return strings.Map(func(r rune) rune {
		if strings.ContainsRune("?!.,", r) {
			return -1
		}
		return r
	}, strings.ToLower(s))
}

func (f *fakeIndex) Lookup(_ context.Context, scope, text string, _ float32) (string, float32, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return "", 0, false, f.err
	}
	k, ok := f.entries[scope][norm(text)]
	return k, 0.99, ok, nil
}

func (f *fakeIndex) Add(_ context.Context, scope, text, key string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.entries[scope] == nil {
		f.entries[scope] = map[string]string{}
	}
	f.entries[scope][norm(text)] = key
	return nil
}

func (f *fakeIndex) Close() error { f.closed = true; return nil }

const semanticConfig = testConfig + `  semantic:
    backend: openai
    model: text-embedding-3-small
    threshold: 0.9
`

func TestSemanticHit(t *testing.T) {
	ix := &fakeIndex{entries: map[string]map[string]string{}}
	h := newHarness(t, semanticConfig)
	h.s = New(slog.New(slog.NewTextHandler(io.Discard, nil)), Options{
		Semantic: func(_ *config.Snapshot, s *config.SemanticCache) (Semantic, error) {
			if s.Model != "text-embedding-3-small" || s.Threshold != 0.9 {
				t.Errorf("semantic settings = %+v", s)
			}
			return ix, nil
		},
	})
	if err := h.s.Reload(context.Background(), h.snap); err != nil {
		t.Fatal(err)
	}
	x := h.exchange(`{"model":"gpt-4o","temperature":0,"messages":[{"role":"system","content":"sys"},{"role":"user","content":"What is the capital of France?"}]}`)
	h.request(x)
	h.answer(x, 200, reply)
	h.s.Wait()

	y := h.exchange(`{"model":"gpt-4o","temperature":0,"messages":[{"role":"system","content":"sys"},{"role":"user","content":"what is the capital of france"}]}`)
	h.request(y)
	if y.Reply == nil || h.s.Stats().SemanticHits.Load() != 1 {
		t.Fatalf("paraphrase missed: hits %d", h.s.Stats().SemanticHits.Load())
	}
	other := h.exchange(`{"model":"gpt-4o","temperature":0,"messages":[{"role":"system","content":"other"},{"role":"user","content":"what is the capital of france"}]}`)
	h.request(other)
	if other.Reply != nil {
		t.Errorf("a request with another system prompt was served the stored answer")
	}

	ix.err = errors.New("embeddings down")
	z := h.exchange(`{"model":"gpt-4o","temperature":0,"messages":[{"role":"user","content":"new"}]}`)
	h.request(z)
	if z.Reply != nil || h.s.Stats().SemanticErrors.Load() != 1 {
		t.Errorf("embedding failure not passed over as a counted miss")
	}

	// Unchanged settings keep the index; removing them closes it.
	if err := h.s.Reload(context.Background(), snapshot(t, semanticConfig)); err != nil || ix.closed {
		t.Errorf("reload with the same settings closed the index: %v", err)
	}
	if err := h.s.Reload(context.Background(), snapshot(t, testConfig)); err != nil || !ix.closed {
		t.Errorf("reload without semantic settings kept the index open: %v", err)
	}
}

func TestSemanticFailClosed(t *testing.T) {
	ix := &fakeIndex{entries: map[string]map[string]string{}, err: errors.New("down")}
	h := newHarness(t, semanticConfig+"    fail_open: false\n")
	h.s = New(slog.New(slog.NewTextHandler(io.Discard, nil)), Options{
		Semantic: func(*config.Snapshot, *config.SemanticCache) (Semantic, error) { return ix, nil },
	})
	if err := h.s.Reload(context.Background(), h.snap); err != nil {
		t.Fatal(err)
	}
	x := h.exchange(plain)
	if err := h.s.OnRequest(context.Background(), x); err == nil {
		t.Errorf("fail_open false: no error")
	}
}
