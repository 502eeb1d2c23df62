package usagestore

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sluice-gw/sluice/pkg/budget"
	"github.com/sluice-gw/sluice/pkg/redistest"
)

// A batch applied again, as a retry after a reply that was lost after
// Redis ran the script, is counted once: the script claims the batch id
// first.
func TestRetriedBatchCountedOnce(t *testing.T) {
	rdb := redistest.StartRedis(t).Client(t)
	ctx := context.Background()
	at := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	pending := map[groupHour]*sums{}
	for range 3 {
		r := budget.UsageRecord{Time: at, Tenant: "acme", Model: "m", Status: 200, CostMicros: 10}
		k := groupHour{hour: at.Unix() / 3600, group: groupOf(&r)}
		if pending[k] == nil {
			pending[k] = &sums{}
		}
		pending[k].add(&r)
	}
	b := newBatch(pending)
	for range 2 {
		if err := b.apply(ctx, rdb, "t:", time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	s := New(func() (*redis.Client, string) { return rdb, "t:" }, Options{FlushEvery: time.Hour}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	defer func() { _ = s.Close(ctx) }()
	rows, n, err := s.Rows(ctx, []string{"tenant"}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if n != 3 || len(rows) != 1 || rows[0].CostMicros != 30 {
		t.Errorf("after applying one batch twice: %d requests, rows %+v; want 3 requests costing 30", n, rows)
	}
	if ttl := rdb.TTL(ctx, HourKey("t:", at.Unix()/3600)).Val(); ttl <= 0 || ttl > time.Hour {
		t.Errorf("hour key TTL = %v, want the retention (1h)", ttl)
	}
}
