package usagestore

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sluice-gw/sluice/pkg/budget"
)

// Rows sums the usage every replica wrote since the given time (rounded
// down to its hour; the zero time means everything kept) by the given
// dimensions (budget.Dimensions), sorted by group. It also returns how
// many requests the rows hold.
func (s *Store) Rows(ctx context.Context, by []string, since time.Time) ([]budget.UsageRow, int64, error) {
	for i, d := range by {
		if !slices.Contains(budget.Dimensions, d) {
			return nil, 0, fmt.Errorf("by[%d]: unknown dimension %q (want one of %s)", i, d, strings.Join(budget.Dimensions, ", "))
		}
	}
	rdb, prefix := s.shared()
	if rdb == nil {
		return nil, 0, fmt.Errorf("usage: no Redis configured")
	}
	keys, err := hourKeys(ctx, rdb, prefix, since)
	if err != nil {
		return nil, 0, err
	}
	cmds := make([]*redis.MapStringStringCmd, len(keys))
	if _, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, k := range keys {
			cmds[i] = p.HGetAll(ctx, k)
		}
		return nil
	}); err != nil {
		return nil, 0, fmt.Errorf("usage: reading from Redis: %w", err)
	}
	rows := map[string]*budget.UsageRow{}
	var requests int64
	for i, cmd := range cmds {
		hour, err := time.Parse("2006010215", strings.TrimPrefix(keys[i], prefix+"usage:"))
		if err != nil {
			continue
		}
		for field, raw := range cmd.Val() {
			group, name, ok := strings.Cut(field, fieldSep)
			v, err := strconv.ParseInt(raw, 10, 64)
			if !ok || err != nil {
				continue
			}
			dims := strings.Split(group, sep)
			if len(dims) == 7 {
				dims = append(dims, "") // written before templates were recorded
			}
			if len(dims) != 8 {
				continue
			}
			values := make([]string, len(by))
			for j, d := range by {
				values[j] = dimension(d, dims, hour)
			}
			rk := strings.Join(values, "\x00")
			row := rows[rk]
			if row == nil {
				row = &budget.UsageRow{Group: values}
				rows[rk] = row
			}
			if name == "requests" {
				requests += v
			}
			addMeasure(row, name, v)
		}
	}
	out := make([]budget.UsageRow, 0, len(rows))
	for _, r := range rows {
		out = append(out, *r)
	}
	slices.SortFunc(out, func(a, b budget.UsageRow) int { return slices.Compare(a.Group, b.Group) })
	return out, requests, nil
}

// hourKeys lists the hour hashes at or after since, oldest first.
func hourKeys(ctx context.Context, rdb *redis.Client, prefix string, since time.Time) ([]string, error) {
	from := ""
	if !since.IsZero() {
		from = HourKey(prefix, since.Unix()/3600)
	}
	var keys []string
	iter := rdb.Scan(ctx, 0, prefix+"usage:[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]", 1000).Iterator()
	for iter.Next(ctx) {
		if k := iter.Val(); k >= from {
			keys = append(keys, k)
		}
	}
	if err := iter.Err(); err != nil {
		return nil, fmt.Errorf("usage: listing Redis keys: %w", err)
	}
	slices.Sort(keys)
	return keys, nil
}

// dimension is a group's value for one dimension; dims is the group as
// groupOf wrote it. Times are the hour's, so "hour" is exact and "day",
// "period" and "month" are the hour's day and month.
func dimension(d string, dims []string, hour time.Time) string {
	switch d {
	case "tenant":
		return dims[0]
	case "team":
		return dims[1]
	case "key":
		return dims[2]
	case "user":
		return dims[3]
	case "model":
		return dims[4]
	case "backend":
		return dims[5]
	case "status":
		return dims[6]
	case "template":
		return dims[7]
	case "hour":
		return hour.Format("2006-01-02T15")
	case "month":
		return hour.Format("2006-01")
	}
	return hour.Format(time.DateOnly)
}

func addMeasure(row *budget.UsageRow, name string, v int64) {
	t := &row.Tokens
	switch name {
	case "requests":
		row.Requests += v
	case "errors":
		row.Errors += v
	case "cache_hits":
		row.CacheHits += v
	case "estimated":
		t.Estimated = t.Estimated || v > 0
	case "input":
		t.InputTokens += v
	case "output":
		t.OutputTokens += v
	case "cached_input":
		t.CachedInputTokens += v
	case "cache_write":
		t.CacheWriteTokens += v
	case "reasoning":
		t.ReasoningTokens += v
	case "cost_micros":
		row.CostMicros += v
	case "latency_us":
		row.Latency += time.Duration(v) * time.Microsecond
	}
}
