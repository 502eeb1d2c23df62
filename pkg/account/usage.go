package account

import (
	"slices"
	"sync"
	"time"

	"github.com/sluice-gw/sluice/pkg/budget"
	"github.com/sluice-gw/sluice/pkg/pricing"
)

// DefaultLogSize is how many records a replica keeps for /admin/usage:
// about two megabytes, so it stays well inside the serving memory budget.
const DefaultLogSize = 10_000

// Log keeps the most recent usage records of this replica in memory, a
// fixed number of them, oldest dropped first. It is safe for concurrent
// use.
type Log struct {
	mu sync.Mutex
	// buf grows to size as records come, so a replica that never records
	// (no admin token) holds none of its two megabytes.
	buf     []budget.UsageRecord
	size    int
	next    int // where the next record goes once buf is full
	dropped uint64
}

// NewLog returns a log that keeps the last size records.
func NewLog(size int) *Log {
	return &Log{size: max(size, 1)}
}

// Add records one request.
func (l *Log) Add(r budget.UsageRecord) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.buf) < l.size {
		if len(l.buf) == cap(l.buf) {
			// Doubling, but never past size.
			l.buf = slices.Grow(l.buf, min(max(len(l.buf), 64), l.size-len(l.buf)))
		}
		l.buf = append(l.buf, r)
		return
	}
	l.dropped++
	l.buf[l.next] = r
	l.next = (l.next + 1) % l.size
}

// Records returns a copy of the records at or after since, oldest first,
// and how many older records the log no longer holds.
func (l *Log) Records(since time.Time) (records []budget.UsageRecord, dropped uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	// Oldest first: from next to the end, then the start (next is 0
	// until the log is full).
	for _, part := range [2][]budget.UsageRecord{l.buf[l.next:], l.buf[:l.next]} {
		for _, r := range part {
			if !r.Time.Before(since) {
				records = append(records, r)
			}
		}
	}
	return records, l.dropped
}

// Report is the answer of GET /admin/usage.
type Report struct {
	// By are the dimensions rows are grouped by, in order.
	By    []string  `json:"by"`
	Since time.Time `json:"since,omitzero"`
	// Scope is "replica" when the rows are this replica's recent records,
	// or "cluster" when they are every replica's, from the shared Redis
	// (summed per hour there, so since is rounded down to its hour).
	Scope string `json:"scope"`
	// Records is how many records were summed; Dropped how many older ones
	// this replica no longer keeps.
	Records  int    `json:"records"`
	Dropped  uint64 `json:"dropped"`
	Currency string `json:"currency"`
	Rows     []Row  `json:"rows"`
}

// Row is one group's totals.
type Row struct {
	Group             map[string]string `json:"group"`
	Requests          int64             `json:"requests"`
	Errors            int64             `json:"errors"`
	InputTokens       int64             `json:"input_tokens"`
	OutputTokens      int64             `json:"output_tokens"`
	TotalTokens       int64             `json:"total_tokens"`
	CachedInputTokens int64             `json:"cached_input_tokens"`
	CacheWriteTokens  int64             `json:"cache_write_tokens"`
	ReasoningTokens   int64             `json:"reasoning_tokens"`
	// Estimated is true when some request's usage is the admission
	// estimate, because the provider never reported it.
	Estimated  bool   `json:"estimated"`
	CostMicros int64  `json:"cost_micros"`
	CostUSD    string `json:"cost_usd"`
	// LatencyMs is the mean time from request to the end of the response.
	LatencyMs float64 `json:"latency_ms"`
}

// Report sums the records since the given time by the given dimensions
// (budget.Dimensions). An unknown dimension is an error naming it.
func (l *Log) Report(by []string, since time.Time) (*Report, error) {
	records, dropped := l.Records(since)
	rows, err := budget.Aggregate(records, by)
	if err != nil {
		return nil, err
	}
	rep := NewReport(by, since, rows)
	rep.Records, rep.Dropped, rep.Scope = len(records), dropped, "replica"
	return rep, nil
}

// NewReport renders summed rows as GET /admin/usage answers them.
func NewReport(by []string, since time.Time, rows []budget.UsageRow) *Report {
	rep := &Report{By: by, Since: since, Currency: "USD", Rows: make([]Row, len(rows))}
	for i, r := range rows {
		g := make(map[string]string, len(by))
		for j, d := range by {
			g[d] = r.Group[j]
		}
		t := r.Tokens
		rep.Rows[i] = Row{
			Group: g, Requests: r.Requests, Errors: r.Errors,
			InputTokens: t.InputTokens, OutputTokens: t.OutputTokens, TotalTokens: t.InputTokens + t.OutputTokens,
			CachedInputTokens: t.CachedInputTokens, CacheWriteTokens: t.CacheWriteTokens, ReasoningTokens: t.ReasoningTokens,
			Estimated: t.Estimated, CostMicros: r.CostMicros, CostUSD: pricing.FormatMicros(r.CostMicros),
			LatencyMs: float64(r.Latency.Microseconds()) / 1000 / float64(max(r.Requests, 1)),
		}
	}
	return rep
}
