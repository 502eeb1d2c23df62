package limits_test

import (
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sluice-gw/sluice/pkg/limits"
)

func TestFormatReset(t *testing.T) {
	tests := []struct {
		in   time.Duration
		want string
	}{
		{0, "0s"},
		{-time.Second, "0s"},
		{time.Microsecond, "1ms"},
		{6400 * time.Microsecond, "7ms"},
		{120 * time.Millisecond, "120ms"},
		{time.Second, "1s"},
		{8640 * time.Millisecond, "8.64s"},
		{17*time.Second + 500*time.Microsecond, "17.001s"},
		{6 * time.Minute, "6m0s"},
		{time.Minute + 30*time.Second, "1m30s"},
		{2*time.Hour + time.Millisecond, "2h0m0.001s"},
	}
	for _, tc := range tests {
		if got := limits.FormatReset(tc.in); got != tc.want {
			t.Errorf("FormatReset(%s) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestFormatResetIsDurationString holds FormatReset, which writes the
// duration itself, to what time.Duration's String writes for the same
// value rounded up to the millisecond.
func TestFormatResetIsDurationString(t *testing.T) {
	check := func(d time.Duration) {
		want := ((d + time.Millisecond - 1) / time.Millisecond * time.Millisecond).String()
		if got := limits.FormatReset(d); got != want {
			t.Fatalf("FormatReset(%d) = %q, want %q", d, got, want)
		}
	}
	for ms := time.Duration(1); ms <= 130_000; ms++ {
		check(ms * time.Millisecond)
		check(ms*time.Millisecond - 1)
	}
	for h := time.Duration(1); h < 800; h += 7 {
		check(h*time.Hour + 61*time.Second + 10*time.Millisecond)
		check(h * time.Hour)
	}
}

func FuzzFormatReset(f *testing.F) {
	f.Add(int64(8640 * time.Millisecond))
	f.Add(int64(2*time.Hour + time.Millisecond))
	f.Fuzz(func(t *testing.T, n int64) {
		d := time.Duration(n)
		if d <= 0 || d > 100_000*time.Hour {
			return
		}
		want := ((d + time.Millisecond - 1) / time.Millisecond * time.Millisecond).String()
		if got := limits.FormatReset(d); got != want {
			t.Fatalf("FormatReset(%d) = %q, want %q", d, got, want)
		}
	})
}

// TestEachHeaderAllocatesOnce: every admitted request sends the headers,
// and their values share one string.
func TestEachHeaderAllocatesOnce(t *testing.T) {
	res := limits.Result{Allowed: true,
		Requests: limits.Quota{Scope: "key:k", Limit: 6000, Remaining: 5999, Reset: 1500 * time.Millisecond},
		Tokens:   limits.Quota{Scope: "tenant:t", Limit: 150000, Remaining: 149984, Reset: 6 * time.Minute}}
	n := 0
	if got := testing.AllocsPerRun(100, func() { res.EachHeader(func(string, string) { n++ }) }); got > 1 {
		t.Errorf("EachHeader: %v allocations, want 1", got)
	}
	if n == 0 {
		t.Fatal("no headers")
	}
}

func TestHeaders(t *testing.T) {
	reqs := limits.Quota{Scope: "key:k", Limit: 60, Remaining: 59, Reset: time.Second}
	toks := limits.Quota{Scope: "tenant:t", Limit: 150000, Remaining: 149984, Reset: 6 * time.Minute}
	tests := []struct {
		name string
		res  limits.Result
		want map[string]string
	}{
		{"allowed", limits.Result{Allowed: true, Requests: reqs, Tokens: toks}, map[string]string{
			"x-ratelimit-limit-requests": "60", "x-ratelimit-remaining-requests": "59", "x-ratelimit-reset-requests": "1s",
			"x-ratelimit-limit-tokens": "150000", "x-ratelimit-remaining-tokens": "149984", "x-ratelimit-reset-tokens": "6m0s",
		}},
		{"no limits, no headers", limits.Result{Allowed: true}, map[string]string{}},
		{"concurrency alone shows nothing", limits.Result{Allowed: true, Concurrent: limits.Quota{Limit: 4, Remaining: 3}}, map[string]string{}},
		{"the tightest token dimension is shown", limits.Result{
			Allowed:      true,
			Tokens:       limits.Quota{Limit: 100000, Remaining: 90000, Reset: 6 * time.Second},
			OutputTokens: limits.Quota{Limit: 2000, Remaining: 10, Reset: 59700 * time.Millisecond},
		}, map[string]string{
			"x-ratelimit-limit-tokens": "2000", "x-ratelimit-remaining-tokens": "10", "x-ratelimit-reset-tokens": "59.7s",
		}},
		{"refused: retry-after rounds up to whole seconds", limits.Result{
			RetryAfter: 1200 * time.Millisecond, Requests: limits.Quota{Limit: 60, Reset: time.Minute},
			Denial: limits.Denial{Scope: "key:k", Dimension: limits.Requests, Limit: 60, Requested: 1},
		}, map[string]string{
			"x-ratelimit-limit-requests": "60", "x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "1m0s",
			"retry-after": "2", "retry-after-ms": "1200",
		}},
		{"refused: sub-millisecond waits round up", limits.Result{
			RetryAfter: 10 * time.Microsecond, Denial: limits.Denial{Scope: "key:k"},
		}, map[string]string{"retry-after": "1", "retry-after-ms": "1"}},
		{"too large: no retry", limits.Result{
			Tokens: limits.Quota{Limit: 1000, Remaining: 1000},
			Denial: limits.Denial{Scope: "key:k", Dimension: limits.Tokens, Limit: 1000, Requested: 4000, TooLarge: true},
		}, map[string]string{
			"x-ratelimit-limit-tokens": "1000", "x-ratelimit-remaining-tokens": "1000", "x-ratelimit-reset-tokens": "0s",
			"x-should-retry": "false",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, tc.res.Headers()); diff != "" {
				t.Errorf("headers (-want +got):\n%s", diff)
			}
			var names []string
			tc.res.EachHeader(func(name, _ string) { names = append(names, name) })
			if !slices.IsSorted(names) || len(names) != len(tc.want) {
				t.Errorf("EachHeader gave %q, want the %d names sorted", names, len(tc.want))
			}
		})
	}
}

// BenchmarkEachHeader renders the headers of an admitted request limited
// in both dimensions, as every such request sends them.
func BenchmarkEachHeader(b *testing.B) {
	r := limits.Result{Allowed: true,
		Requests: limits.Quota{Limit: 60, Remaining: 59, Reset: time.Second},
		Tokens:   limits.Quota{Limit: 150000, Remaining: 149984, Reset: 6 * time.Minute}}
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		r.EachHeader(func(_, v string) { n += len(v) })
	}
}
