package cache

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/sluice-gw/sluice/pkg/semcache/semcachetest"
)

func TestSemanticIndex(t *testing.T) {
	srv := semcachetest.NewServer(t, 0)
	snap := snapshot(t, testConfig+"  semantic:\n    endpoint: "+srv.URL+"\n    model: lexical\n")
	noRedis := func() (*redis.Client, string) { return nil, "" }
	ix, err := SemanticIndex(noRedis, slog.New(slog.NewTextHandler(io.Discard, nil)))(snap, snap.Cache.Semantic)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	ctx := context.Background()
	if err := ix.Add(ctx, "s", "What is the capital of France?", "k1"); err != nil {
		t.Fatal(err)
	}
	key, score, ok, err := ix.Lookup(ctx, "s", "Which city is the capital of France?", 0.8)
	if err != nil || !ok || key != "k1" {
		t.Errorf("Lookup = %q (%.3f), %v, %v", key, score, ok, err)
	}
	if _, _, ok, _ := ix.Lookup(ctx, "other", "What is the capital of France?", 0.9); ok {
		t.Errorf("found an entry of another scope")
	}
	if srv.Calls() == 0 {
		t.Errorf("the embeddings endpoint was never called")
	}

	viaBackend := snapshot(t, testConfig+"  semantic:\n    backend: openai\n    model: e\n")
	if _, err := SemanticIndex(noRedis, slog.New(slog.DiscardHandler))(viaBackend, viaBackend.Cache.Semantic); err != nil {
		t.Errorf("index over a backend: %v", err)
	}
}

func TestRestoreEscapedPlaceholders(t *testing.T) {
	body := []byte(`{"choices":[{"index":0,"message":{"content":"to \u003cEMAIL_ADDRESS_1\u003e"},"finish_reason":"stop"}]}`)
	got := Restore(body, map[string]string{"<EMAIL_ADDRESS_1>": "bob@example.com"})
	if want := `{"choices":[{"index":0,"message":{"content":"to bob@example.com"},"finish_reason":"stop"}]}`; string(got) != want {
		t.Errorf("Restore = %s, want %s", got, want)
	}
}

func TestTemplateCallsAreNotCached(t *testing.T) {
	h := newHarness(t, testConfig)
	x := h.exchange(plain)
	x.Prompt.Template = "support"
	h.request(x)
	if header(x) != "" {
		t.Errorf("template call marked %q", header(x))
	}
}
