package budget

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sluice-gw/sluice/pkg/translate"
)

// UsageRecord is what one request used and cost: the unit of accounting
// behind budgets and usage reports.
type UsageRecord struct {
	Time    time.Time
	Tenant  string
	Team    string
	Key     string // the API key's ID, never its secret
	User    string
	Model   string // the public model name the client asked for
	Backend string
	Tokens  translate.Usage
	// CostMicros is the request's cost in micro-USD (pkg/pricing).
	CostMicros int64
	Latency    time.Duration
	Status     int  // the HTTP status the client got
	CacheHit   bool // answered from Sluice's response cache
	// Template is the prompt template rendered, as name@version, so that
	// teams comparing template versions see each version's usage.
	Template string
}

// Dimensions Aggregate can group by. "period" is the UTC calendar day;
// "hour", "day" and "month" are UTC too.
var Dimensions = []string{"tenant", "team", "key", "user", "model", "backend", "status", "template", "period", "hour", "day", "month"}

// UsageRow is the sum of the records that share one value per dimension.
type UsageRow struct {
	// Group holds one value per dimension, in the order Aggregate was given.
	Group      []string
	Requests   int64
	Errors     int64 // status 400 and above
	CacheHits  int64
	Tokens     translate.Usage // summed; Estimated if any record's was
	CostMicros int64
	Latency    time.Duration // summed; divide by Requests for the mean
}

// Aggregate groups records by the given dimensions (see Dimensions) and sums
// each group. Rows come sorted by their group values. Unknown dimensions are
// an error naming the first: by[1]: unknown dimension "x".
func Aggregate(records []UsageRecord, by []string) ([]UsageRow, error) {
	for i, d := range by {
		if !slices.Contains(Dimensions, d) {
			return nil, fmt.Errorf("by[%d]: unknown dimension %q (want one of %s)", i, d, strings.Join(Dimensions, ", "))
		}
	}
	rows := map[string]*UsageRow{}
	for i := range records {
		r := &records[i]
		group := make([]string, len(by))
		for j, d := range by {
			group[j] = dimension(r, d)
		}
		key := strings.Join(group, "\x00")
		row := rows[key]
		if row == nil {
			row = &UsageRow{Group: group}
			rows[key] = row
		}
		row.add(r)
	}
	out := make([]UsageRow, 0, len(rows))
	for _, row := range rows {
		out = append(out, *row)
	}
	slices.SortFunc(out, func(a, b UsageRow) int { return slices.Compare(a.Group, b.Group) })
	return out, nil
}

func (row *UsageRow) add(r *UsageRecord) {
	row.Requests++
	if r.Status >= 400 {
		row.Errors++
	}
	if r.CacheHit {
		row.CacheHits++
	}
	t := &row.Tokens
	t.InputTokens += r.Tokens.InputTokens
	t.OutputTokens += r.Tokens.OutputTokens
	t.CachedInputTokens += r.Tokens.CachedInputTokens
	t.CacheWriteTokens += r.Tokens.CacheWriteTokens
	t.ReasoningTokens += r.Tokens.ReasoningTokens
	t.Estimated = t.Estimated || r.Tokens.Estimated
	row.CostMicros += r.CostMicros
	row.Latency += r.Latency
}

// dimension is a record's value for one dimension. Times sort as text.
func dimension(r *UsageRecord, d string) string {
	t := r.Time.UTC()
	switch d {
	case "tenant":
		return r.Tenant
	case "team":
		return r.Team
	case "key":
		return r.Key
	case "user":
		return r.User
	case "model":
		return r.Model
	case "backend":
		return r.Backend
	case "status":
		return strconv.Itoa(r.Status)
	case "template":
		return r.Template
	case "hour":
		return t.Format("2006-01-02T15")
	case "month":
		return t.Format("2006-01")
	}
	return t.Format(time.DateOnly) // period, day
}
