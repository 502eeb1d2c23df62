package usagestore_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"github.com/sluice-gw/sluice/pkg/budget"
	"github.com/sluice-gw/sluice/pkg/redistest"
	"github.com/sluice-gw/sluice/pkg/translate"
	"github.com/sluice-gw/sluice/pkg/usagestore"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func record(tenant, model string, at time.Time, status int, in, out, cost int64) budget.UsageRecord {
	return budget.UsageRecord{
		Time: at, Tenant: tenant, Key: "k-" + tenant, Model: model, Backend: "openai", Status: status,
		Tokens: translate.Usage{InputTokens: in, OutputTokens: out}, CostMicros: cost, Latency: 20 * time.Millisecond,
	}
}

// Two replicas write concurrently; either one reports the sum of both.
func TestReplicasShareUsage(t *testing.T) {
	rs := redistest.StartRedis(t)
	rdb := rs.Client(t)
	client := func() (*redis.Client, string) { return rdb, "t:" }
	a := usagestore.New(client, usagestore.Options{FlushEvery: 10 * time.Millisecond}, quiet)
	b := usagestore.New(client, usagestore.Options{FlushEvery: 10 * time.Millisecond}, quiet)
	at := time.Date(2026, 11, 22, 10, 30, 0, 0, time.UTC)
	var wg sync.WaitGroup
	for _, s := range []*usagestore.Store{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 500 {
				tenant := "acme"
				if i%5 == 0 {
					tenant = "globex"
				}
				s.Add(record(tenant, "gpt-4o", at.Add(time.Duration(i)*time.Second), 200, 10, 5, 100))
			}
		}()
	}
	wg.Wait()
	ctx := context.Background()
	for _, s := range []*usagestore.Store{a, b} {
		if err := s.Close(ctx); err != nil {
			t.Fatal(err)
		}
	}
	rows, n, err := a.Rows(ctx, []string{"tenant", "hour"}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if n != 1000 {
		t.Errorf("requests = %d, want 1000", n)
	}
	got := map[string]int64{}
	for _, r := range rows {
		got[r.Group[0]+" "+r.Group[1]] = r.Requests
		if r.Tokens.InputTokens != 10*r.Requests || r.CostMicros != 100*r.Requests || r.Latency != 20*time.Millisecond*time.Duration(r.Requests) {
			t.Errorf("row %v sums %+v", r.Group, r)
		}
	}
	want := map[string]int64{"acme 2026-11-22T10": 800, "globex 2026-11-22T10": 200}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("rows (-want +got):\n%s", d)
	}
}

// Records written while Redis is down are kept, retried and written once
// it is back, without being counted twice.
func TestRedisOutageKeepsRecords(t *testing.T) {
	rs := redistest.StartRedis(t)
	rdb := rs.Client(t)
	s := usagestore.New(func() (*redis.Client, string) { return rdb, "t:" }, usagestore.Options{FlushEvery: 10 * time.Millisecond}, quiet)
	at := time.Now()
	rs.Stop(t)
	for range 50 {
		s.Add(record("acme", "gpt-4o", at, 200, 1, 1, 1))
	}
	s.Flush()
	time.Sleep(100 * time.Millisecond)
	if s.Written() != 0 {
		t.Fatalf("written %d records while Redis was down", s.Written())
	}
	rs.Restart(t)
	for range 50 {
		s.Add(record("acme", "gpt-4o", at, 500, 1, 1, 1))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	rows, n, err := s.Rows(ctx, []string{"status"}, at.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if n != 100 || len(rows) != 2 || rows[0].Requests != 50 || rows[1].Errors != 50 {
		t.Errorf("after the outage: %d requests, rows %+v", n, rows)
	}
}

// Close reports what it could not write, rather than losing it silently.
func TestCloseReportsUnwritten(t *testing.T) {
	rs := redistest.StartRedis(t)
	rdb := rs.Client(t)
	s := usagestore.New(func() (*redis.Client, string) { return rdb, "t:" }, usagestore.Options{FlushEvery: time.Hour}, quiet)
	rs.Stop(t)
	s.Add(record("acme", "gpt-4o", time.Now(), 200, 1, 1, 1))
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	err := s.Close(ctx)
	if err == nil || !strings.Contains(err.Error(), "1 records not written") {
		t.Errorf("Close = %v, want the unwritten count", err)
	}
}

func TestMaxGroupsCountsDrops(t *testing.T) {
	s := usagestore.New(func() (*redis.Client, string) { return nil, "" }, usagestore.Options{MaxGroups: 2, FlushEvery: time.Hour}, quiet)
	defer func() { _ = s.Close(canceled()) }()
	for _, tenant := range []string{"a", "b", "c", "a", "d"} {
		s.Add(record(tenant, "m", time.Now(), 200, 1, 1, 1))
	}
	if s.Dropped() != 2 {
		t.Errorf("dropped = %d, want 2 (c and d)", s.Dropped())
	}
}

func TestUnknownDimension(t *testing.T) {
	s := usagestore.New(func() (*redis.Client, string) { return nil, "" }, usagestore.Options{FlushEvery: time.Hour}, quiet)
	defer func() { _ = s.Close(canceled()) }()
	if _, _, err := s.Rows(context.Background(), []string{"tenant", "colour"}, time.Time{}); err == nil || !strings.Contains(err.Error(), `by[1]: unknown dimension "colour"`) {
		t.Errorf("err = %v", err)
	}
}

func canceled() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

// Without Redis and without records, closing is immediate.
func TestCloseWithoutRedis(t *testing.T) {
	s := usagestore.New(func() (*redis.Client, string) { return nil, "" }, usagestore.Options{}, quiet)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	start := time.Now()
	if err := s.Close(ctx); err != nil || time.Since(start) > 500*time.Millisecond {
		t.Errorf("Close = %v after %v", err, time.Since(start))
	}
}
