package account_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sluice-gw/sluice/pkg/account"
	"github.com/sluice-gw/sluice/pkg/budget"
	"github.com/sluice-gw/sluice/pkg/translate"
)

func TestLogKeepsTheLastRecords(t *testing.T) {
	l := account.NewLog(3)
	day := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	for i := range 5 {
		l.Add(budget.UsageRecord{Time: day.Add(time.Duration(i) * time.Hour), Status: 200 + i})
	}
	recs, dropped := l.Records(time.Time{})
	var got []int
	for _, r := range recs {
		got = append(got, r.Status)
	}
	if d := cmp.Diff([]int{202, 203, 204}, got); d != "" || dropped != 2 {
		t.Errorf("records (-want +got):\n%s dropped %d", d, dropped)
	}
	// A log larger than its first allocation grows, then wraps.
	for _, n := range []int{0, 99, 100, 101, 250} {
		l := account.NewLog(100)
		for i := range n {
			l.Add(budget.UsageRecord{Status: i})
		}
		recs, dropped := l.Records(time.Time{})
		var want, got []int
		for i := max(0, n-100); i < n; i++ {
			want = append(want, i)
		}
		for _, r := range recs {
			got = append(got, r.Status)
		}
		if d := cmp.Diff(want, got); d != "" || dropped != uint64(max(0, n-100)) {
			t.Errorf("%d records in a log of 100 (-want +got):\n%s dropped %d", n, d, dropped)
		}
	}
	if recs, _ := l.Records(day.Add(4 * time.Hour)); len(recs) != 1 {
		t.Errorf("since: %d records", len(recs))
	}
}

func TestReport(t *testing.T) {
	l := account.NewLog(10)
	at := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	add := func(tenant, model string, in, out, cost int64, status int, est bool) {
		l.Add(budget.UsageRecord{Time: at, Tenant: tenant, Model: model, Status: status, CostMicros: cost,
			Latency: 200 * time.Millisecond, Tokens: translate.Usage{InputTokens: in, OutputTokens: out, Estimated: est}})
	}
	add("acme", "gpt-4o", 1000, 500, 7500, 200, false)
	add("acme", "gpt-4o", 100, 400, 4250, 200, true)
	add("acme", "gpt-4o", 0, 0, 0, 429, false)
	add("beta", "claude", 10, 10, 180, 200, false)
	rep, err := l.Report([]string{"tenant", "model", "period"}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	want := []account.Row{
		{Group: map[string]string{"tenant": "acme", "model": "gpt-4o", "period": "2026-11-22"}, Requests: 3, Errors: 1,
			InputTokens: 1100, OutputTokens: 900, TotalTokens: 2000, Estimated: true, CostMicros: 11750, CostUSD: "0.011750", LatencyMs: 200},
		{Group: map[string]string{"tenant": "beta", "model": "claude", "period": "2026-11-22"}, Requests: 1,
			InputTokens: 10, OutputTokens: 10, TotalTokens: 20, CostMicros: 180, CostUSD: "0.000180", LatencyMs: 200},
	}
	if d := cmp.Diff(want, rep.Rows); d != "" || rep.Records != 4 || rep.Currency != "USD" {
		t.Errorf("rows (-want +got):\n%s\n%+v", d, rep)
	}
	if _, err := l.Report([]string{"tenant", "colour"}, time.Time{}); err == nil {
		t.Error("an unknown dimension was accepted")
	}
}
