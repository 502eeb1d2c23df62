package e2e

import (
	"bytes"
	"fmt"
	"math"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	fp "github.com/sluice-gw/sluice/e2e/fakeprovider"
)

// splitTarget is one arm of an A/B split: a public model and the fake
// that serves it.
type splitTarget struct {
	model, backend string
	weight         int
}

// The splits under test, set for two tenants through the reference
// policy's splits knob (data.sluice.policy.tenants[t].splits[model]).
var (
	perRequestSplit = []splitTarget{
		{"gpt-4o", fp.BackendOpenAI, 60}, {"claude", fp.BackendAnthropic, 30}, {"gemini", fp.BackendGemini, 10},
	}
	perUserSplit = []splitTarget{{"gpt-4o", fp.BackendOpenAI, 50}, {"claude", fp.BackendAnthropic, 50}}
)

func splitKnob(sticky string, ts []splitTarget) map[string]any {
	var targets []map[string]any
	for _, t := range ts {
		targets = append(targets, map[string]any{"model": t.model, "weight": t.weight})
	}
	return map[string]any{"splits": map[string]any{"gpt-4o": map[string]any{"sticky": sticky, "targets": targets}}}
}

const (
	splitRequests = 10000
	splitWorkers  = 16
	// splitTolerance is how far, in percentage points, a target's share
	// may be from its weight: over 6 standard deviations for 10,000
	// requests, so a correct split does not fail by chance.
	splitTolerance = 3.0
)

// A/B splits decided by policy. Per request (sticky ""), the choice hangs
// on Envoy's x-request-id, so 10,000 requests must land on each target
// in proportion to its weight. Per user, every request of one user lands
// on the same target.
func TestSplit(t *testing.T) {
	t.Parallel()
	ab := newKey(t, keyRecord{Name: "ab", Tenant: "ab"})
	e := newEnv(t, withConfig(configOptions{
		keys:     []keyRecord{ab},
		identity: map[string]any{"trusted_headers": map[string]any{"enabled": true}},
		tenants:  []map[string]any{{"name": "ab"}, {"name": "ab-users"}},
		policy: policyAt(policyCopy(t, map[string]any{"tenants": map[string]any{
			"ab":       splitKnob("", perRequestSplit),
			"ab-users": splitKnob("user", perUserSplit),
		}}), nil),
	}), withPlainSluice())
	e.fakes.Forbid(ab.key)
	// Ten thousand responses cut into bytes would test the fakes, not the
	// split.
	e.fakes.SetSplit(fp.Whole())

	t.Run("per request", func(t *testing.T) {
		t.Parallel()
		marker := newMarker()
		body := chatBody(t, "gpt-4o", marker, false)
		start := time.Now()
		failures := e.flood(t, splitRequests, func(int) (string, http.Header) { return body, ab.bearer() })
		t.Logf("%d requests in %v", splitRequests, time.Since(start).Round(time.Millisecond))
		if failures > 0 {
			t.Fatalf("%d of %d requests failed", failures, splitRequests)
		}
		counts := e.servedBy(marker)
		total := 0
		for _, n := range counts {
			total += n
		}
		if total != splitRequests {
			t.Errorf("the fakes served %d requests, want %d: %v", total, splitRequests, counts)
		}
		for _, tg := range perRequestSplit {
			share := 100 * float64(counts[tg.backend]) / splitRequests
			t.Logf("%s: weight %d, share %.2f%%", tg.model, tg.weight, share)
			if math.Abs(share-float64(tg.weight)) > splitTolerance {
				t.Errorf("%s served %.2f%% of requests, want %d%% ± %.0f", tg.model, share, tg.weight, splitTolerance)
			}
		}
	})

	t.Run("sticky by user", func(t *testing.T) {
		t.Parallel()
		const users, perUser = 40, 5
		markers := make([]string, users)
		for u := range markers {
			markers[u] = newMarker()
		}
		failures := e.flood(t, users*perUser, func(i int) (string, http.Header) {
			u := i % users
			return chatBody(t, "gpt-4o", markers[u], false),
				headers("x-sluice-tenant", "ab-users", "x-sluice-user", fmt.Sprintf("user-%d@ab.example", u))
		})
		if failures > 0 {
			t.Fatalf("%d of %d requests failed", failures, users*perUser)
		}
		usersOf := map[string]int{}
		for u, m := range markers {
			counts := e.servedBy(m)
			if len(counts) != 1 {
				t.Errorf("user-%d was served by %v, want one target for all %d requests", u, counts, perUser)
			}
			for b, n := range counts {
				if n != perUser {
					t.Errorf("user-%d: %s served %d requests, want %d", u, b, n, perUser)
				}
				usersOf[b]++
			}
		}
		// With 40 users on a 50/50 split, both arms are all but certain to
		// have users.
		for _, tg := range perUserSplit {
			if usersOf[tg.backend] == 0 {
				t.Errorf("no user landed on %s: %v", tg.model, usersOf)
			}
		}
	})
}

// flood sends n chat requests from splitWorkers goroutines; request i is
// built by req. It returns how many did not answer 200 (and logs the
// first few).
func (e *env) flood(t *testing.T, n int, req func(i int) (string, http.Header)) int {
	t.Helper()
	client := &http.Client{
		Timeout:   30 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: splitWorkers, MaxConnsPerHost: splitWorkers},
	}
	t.Cleanup(client.CloseIdleConnections)
	type job struct {
		body string
		hdr  http.Header
	}
	jobs := make(chan job)
	go func() {
		defer close(jobs)
		for i := range n {
			body, hdr := req(i)
			jobs <- job{body, hdr}
		}
	}()
	var failures atomic.Int64
	var logged sync.Once
	var wg sync.WaitGroup
	for range splitWorkers {
		wg.Go(func() {
			for j := range jobs {
				if err := send(client, e.baseURL+"/v1/chat/completions", j.body, j.hdr); err != nil {
					failures.Add(1)
					logged.Do(func() { t.Errorf("first failure: %v", err) })
				}
			}
		})
	}
	wg.Wait()
	return int(failures.Load())
}

func send(client *http.Client, url, body string, hdr http.Header) error {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader([]byte(body)))
	if err != nil {
		return err
	}
	req.Header = hdr.Clone()
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	if _, err := b.ReadFrom(resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d: %s", resp.StatusCode, b.Bytes())
	}
	return nil
}

// servedBy counts, per backend, the requests carrying marker that its fake
// answered.
func (e *env) servedBy(marker string) map[string]int {
	counts := map[string]int{}
	m := []byte(marker)
	for _, b := range e.fakes.Backends() {
		for _, r := range e.fakes.Fake(b).Requests() {
			if bytes.Contains(r.Body, m) {
				counts[b]++
			}
		}
	}
	return counts
}
