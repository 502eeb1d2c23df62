package budget_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sluice-gw/sluice/pkg/budget"
)

func date(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestPeriodBounds(t *testing.T) {
	hour := budget.Period{Kind: budget.Window, Every: time.Hour}
	week := budget.Period{Kind: budget.Window, Every: 7 * 24 * time.Hour, Anchor: date("2026-01-05T00:00:00Z")} // Mondays
	tests := []struct {
		name       string
		p          budget.Period
		at         string
		start, end string
	}{
		{"daily", budget.Period{Kind: budget.Daily}, "2026-11-22T13:14:15Z", "2026-11-22T00:00:00Z", "2026-11-23T00:00:00Z"},
		{"daily is UTC", budget.Period{Kind: budget.Daily}, "2026-11-22T01:00:00+05:00", "2026-11-21T00:00:00Z", "2026-11-22T00:00:00Z"},
		{"daily at midnight", budget.Period{Kind: budget.Daily}, "2026-11-22T00:00:00Z", "2026-11-22T00:00:00Z", "2026-11-23T00:00:00Z"},
		{"monthly", budget.Period{Kind: budget.Monthly}, "2026-02-28T23:59:59Z", "2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z"},
		{"monthly across a year", budget.Period{Kind: budget.Monthly}, "2026-12-31T12:00:00Z", "2026-12-01T00:00:00Z", "2027-01-01T00:00:00Z"},
		{"window from the epoch", hour, "2026-11-22T13:14:15Z", "2026-11-22T13:00:00Z", "2026-11-22T14:00:00Z"},
		{"window from an anchor", week, "2026-11-22T13:14:15Z", "2026-11-16T00:00:00Z", "2026-11-23T00:00:00Z"},
		{"window before its anchor", week, "2026-01-04T23:00:00Z", "2025-12-29T00:00:00Z", "2026-01-05T00:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start, end := tt.p.Bounds(date(tt.at))
			if !start.Equal(date(tt.start)) || !end.Equal(date(tt.end)) {
				t.Errorf("Bounds(%s) = %s, %s; want %s, %s", tt.at, start, end, tt.start, tt.end)
			}
		})
	}
}

func TestNewTrackerRejects(t *testing.T) {
	good := budget.Budget{Name: "b", Scope: budget.Scope{Kind: budget.Tenant, ID: "t"},
		Period: budget.Period{Kind: budget.Daily}, LimitMicros: 1}
	with := func(f func(*budget.Budget)) []budget.Budget {
		b := good
		f(&b)
		return []budget.Budget{b}
	}
	tests := []struct {
		name    string
		budgets []budget.Budget
		want    string
	}{
		{"no name", with(func(b *budget.Budget) { b.Name = "" }), "budgets[0].name: required"},
		{"bad kind", with(func(b *budget.Budget) { b.Scope.Kind = "org" }), `budgets[0].scope.kind: want tenant, team, key or user, got "org"`},
		{"no id", with(func(b *budget.Budget) { b.Scope.ID = "" }), "budgets[0].scope.id: required"},
		{"zero limit", with(func(b *budget.Budget) { b.LimitMicros = 0 }), "budgets[0].limit: want 1 to"},
		{"huge limit", with(func(b *budget.Budget) { b.LimitMicros = budget.MaxLimitMicros + 1 }), "budgets[0].limit"},
		{"bad action", with(func(b *budget.Budget) { b.OnExceed = "shrug" }), `budgets[0].on_exceed: want block, downgrade or alert, got "shrug"`},
		{"bad period", with(func(b *budget.Budget) { b.Period.Kind = "weekly" }), `budgets[0].period: want daily, monthly or window, got "weekly"`},
		{"tiny window", with(func(b *budget.Budget) { b.Period = budget.Period{Kind: budget.Window, Every: time.Millisecond} }), "budgets[0].period: a window must be at least 1s"},
		{"daily with length", with(func(b *budget.Budget) { b.Period.Every = time.Hour }), "budgets[0].period: daily periods take no length"},
		{"duplicate", []budget.Budget{good, good}, `budgets[1].name: duplicate budget name "b" (first defined at budgets[0])`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := budget.NewTracker(budget.NewMemoryStore(nil), tt.budgets)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, budget.ErrInvalidBudget) {
				t.Errorf("NewTracker error = %v; want ErrInvalidBudget containing %q", err, tt.want)
			}
		})
	}
}
