package semcache_test

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluice-gw/sluice/pkg/config"
	"github.com/sluice-gw/sluice/pkg/semcache"
	"github.com/sluice-gw/sluice/pkg/semcache/semcachetest"
)

// scoredPair is a pair of the paraphrase set with the similarity the index
// gave it.
type scoredPair struct {
	pair
	score float32
}

// scorePairs stores each pair's first prompt in a scope of its own and
// looks the second up with no threshold, so the score is the one the
// index computes: quantisation included.
func scorePairs(t *testing.T, e semcache.Embedder, pairs []pair) []scoredPair {
	t.Helper()
	ix, err := semcache.New(semcache.Options{Embedder: e, MaxEntries: len(pairs) + 1})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = ix.Close() }()
	ctx := context.Background()
	out := make([]scoredPair, len(pairs))
	for i, p := range pairs {
		scope := strconv.Itoa(i)
		if err := ix.Add(ctx, scope, p.A, "k"); err != nil {
			t.Fatal(err)
		}
		_, score, ok, err := ix.Lookup(ctx, scope, p.B, -1)
		if err != nil || !ok {
			t.Fatalf("pair %d: lookup: ok=%v err=%v", i, ok, err)
		}
		out[i] = scoredPair{p, score}
	}
	return out
}

// rates is the share of matching pairs at or above threshold (hits) and of
// non-matching ones (false hits), with false hits by kind.
func rates(scored []scoredPair, threshold float32) (hit, falseHit float64, byKind map[string]int) {
	var pos, neg, tp, fp int
	byKind = map[string]int{}
	for _, s := range scored {
		above := s.score >= threshold
		switch {
		case s.Match:
			pos++
			if above {
				tp++
			}
		default:
			neg++
			if above {
				fp++
				byKind[s.Kind]++
			}
		}
	}
	return float64(tp) / float64(pos), float64(fp) / float64(neg), byKind
}

// TestThreshold measures the hit rate and false-hit rate of every
// threshold on the paraphrase set, with semcachetest's embedder, and
// checks that Sluice's default threshold serves no near miss. Rerun it with another
// Embedder to choose a threshold for that model:
//
//	go test -run TestThreshold -v ./pkg/semcache
//
// With SEMCACHE_EMBEDDINGS_URL (an OpenAI-compatible base URL),
// SEMCACHE_EMBEDDINGS_MODEL and optionally SEMCACHE_EMBEDDINGS_KEY set, it
// measures that model instead, and only prints the table.
func TestThreshold(t *testing.T) {
	e, external := thresholdEmbedder(t)
	scored := scorePairs(t, e, loadPairs(t))
	var b strings.Builder
	fmt.Fprintf(&b, "\n%-9s %8s %10s  %s\n", "threshold", "hit", "false-hit", "false hits by kind")
	for th := 70; th <= 99; th++ {
		thr := float32(th) / 100
		hit, fh, byKind := rates(scored, thr)
		fmt.Fprintf(&b, "%-9.2f %7.1f%% %9.1f%%  %s\n", thr, 100*hit, 100*fh, kinds(byKind))
	}
	t.Log(b.String())
	logByKind(t, scored, float32(config.DefaultSemanticThreshold))
	logClosest(t, scored)

	if external {
		return
	}
	// Sluice's default keeps a margin above the closest non-match, for
	// near misses of kinds the set does not have.
	const margin = 0.03
	def := float32(config.DefaultSemanticThreshold)
	hit, _, _ := rates(scored, def)
	_, fh, byKind := rates(scored, def-margin)
	if fh > 0 {
		t.Errorf("default threshold %.2f - %.2f: false hits %s, want none", def, margin, kinds(byKind))
	}
	if hit < 0.4 {
		t.Errorf("default threshold %.2f: hit rate %.1f%%, want at least 40%%", def, 100*hit)
	}
}

func kinds(m map[string]int) string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, k := range names {
		parts[i] = fmt.Sprintf("%s=%d", k, m[k])
	}
	return strings.Join(parts, " ")
}

// logClosest shows the hardest cases on each side: the least similar
// paraphrases and the most similar non-matches.
func logClosest(t *testing.T, scored []scoredPair) {
	pos, neg := []scoredPair{}, []scoredPair{}
	for _, s := range scored {
		if s.Match {
			pos = append(pos, s)
		} else {
			neg = append(neg, s)
		}
	}
	sort.Slice(pos, func(i, j int) bool { return pos[i].score < pos[j].score })
	sort.Slice(neg, func(i, j int) bool { return neg[i].score > neg[j].score })
	for _, s := range neg[:min(8, len(neg))] {
		t.Logf("near miss %.3f %-8s %q / %q", s.score, s.Kind, s.A, s.B)
	}
	for _, s := range pos[:min(5, len(pos))] {
		t.Logf("weak paraphrase %.3f %-6s %q / %q", s.score, s.Kind, s.A, s.B)
	}
}

// logByKind shows how often each kind of pair scores at or above
// threshold.
func logByKind(t *testing.T, scored []scoredPair, threshold float32) {
	n, above := map[string]int{}, map[string]int{}
	for _, s := range scored {
		n[s.Kind]++
		if s.score >= threshold {
			above[s.Kind]++
		}
	}
	names := make([]string, 0, len(n))
	for k := range n {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		t.Logf("at %.2f: %-9s %3d/%3d at or above", threshold, k, above[k], n[k])
	}
}

// thresholdEmbedder is the embedder TestThreshold measures: the one the
// environment names, or semcachetest's.
func thresholdEmbedder(t *testing.T) (semcache.Embedder, bool) {
	url := os.Getenv("SEMCACHE_EMBEDDINGS_URL")
	if url == "" {
		return semcachetest.Embedder{Dims: 256}, false
	}
	e, err := semcache.NewHTTPEmbedder(semcache.HTTPEmbedderConfig{
		Endpoint: url,
		Model:    os.Getenv("SEMCACHE_EMBEDDINGS_MODEL"),
		APIKey:   os.Getenv("SEMCACHE_EMBEDDINGS_KEY"),
		Timeout:  30 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	return e, true
}
