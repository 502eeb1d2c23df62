package limits_test

import (
	"errors"
	"testing"
	"time"

	"github.com/sluice-gw/sluice/pkg/limits"
)

func TestDrain(t *testing.T) {
	tests := []struct {
		name    string
		level   float64
		limit   int64
		elapsed time.Duration
		want    float64
	}{
		{"a full minute empties a full bucket", 600, 600, time.Minute, 0},
		{"half a minute drains half the limit", 600, 600, 30 * time.Second, 300},
		{"debt drains at the same rate", 1500, 600, 30 * time.Second, 1200},
		{"never below zero", 10, 600, time.Minute, 0},
		{"time standing still", 42, 600, 0, 42},
		{"time going back", 42, 600, -time.Second, 42},
		{"unlimited keeps nothing", 42, 0, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := limits.Drain(tc.level, tc.limit, int64(tc.elapsed/time.Microsecond)); got != tc.want {
				t.Errorf("Drain = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestCheckIsAllOrNothing(t *testing.T) {
	req := limits.Request{
		Rules: []limits.Rule{
			{Scope: "key:k", TokensPerMinute: 1000, MaxConcurrent: 2},
			{Scope: "tenant:t", RequestsPerMinute: 10, InputTokensPerMinute: 500},
		},
		InputTokens: 300, OutputTokens: 200,
	}
	tests := []struct {
		name    string
		st      []limits.State
		ok      bool
		denied  [2]uint8
		retry   time.Duration
		scope   string
		dim     limits.Dimension
		tooBig  bool
		allowed bool
	}{
		{"room everywhere", []limits.State{{}, {}}, true, [2]uint8{}, 0, "", 0, false, true},
		{"exactly full after charging passes", []limits.State{{Level: [4]float64{0, 500, 0, 0}, InFlight: 1}, {Level: [4]float64{9, 0, 200, 0}}}, true, [2]uint8{}, 0, "", 0, false, true},
		{"one token over refuses", []limits.State{{Level: [4]float64{0, 501, 0, 0}}, {}}, false, [2]uint8{1 << limits.Tokens}, 60 * time.Millisecond, "key:k", limits.Tokens, false, false},
		{"slots full refuses", []limits.State{{InFlight: 2}, {}}, false, [2]uint8{1 << limits.Concurrent}, time.Second, "key:k", limits.Concurrent, false, false},
		{"the longest wait is named", []limits.State{{InFlight: 2}, {Level: [4]float64{10, 0, 0, 0}}}, false, [2]uint8{1 << limits.Concurrent, 1 << limits.Requests}, 6 * time.Second, "tenant:t", limits.Requests, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if ok := limits.Check(&req, tc.st); ok != tc.ok {
				t.Fatalf("Check = %v, want %v", ok, tc.ok)
			}
			for i := range tc.st {
				if tc.st[i].Denied != tc.denied[i] {
					t.Errorf("rule %d denied mask %05b, want %05b", i, tc.st[i].Denied, tc.denied[i])
				}
			}
			res := limits.Outcome(&req, tc.st, tc.ok)
			if res.Allowed != tc.allowed || res.RetryAfter != tc.retry || res.Denial.Scope != tc.scope ||
				res.Denial.Dimension != tc.dim || res.Denial.TooLarge != tc.tooBig {
				t.Errorf("Outcome: allowed=%v retry=%s denial=%+v", res.Allowed, res.RetryAfter, res.Denial)
			}
		})
	}
}

func TestOutcomeTooLargeWins(t *testing.T) {
	req := limits.Request{
		Rules:        []limits.Rule{{Scope: "a", RequestsPerMinute: 1}, {Scope: "b", OutputTokensPerMinute: 100}},
		OutputTokens: 101,
	}
	st := []limits.State{{Level: [4]float64{1, 0, 0, 0}}, {}}
	if limits.Check(&req, st) {
		t.Fatal("Check passed")
	}
	res := limits.Outcome(&req, st, false)
	if !res.Denial.TooLarge || res.Denial.Scope != "b" || res.RetryAfter != 0 {
		t.Errorf("denial %+v retry %s, want b too large with no retry", res.Denial, res.RetryAfter)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		req  limits.Request
		want string
	}{
		{limits.Request{Rules: []limits.Rule{{Scope: "a"}, {}}}, "limits: invalid request: rules[1]: empty scope"},
		{limits.Request{Rules: []limits.Rule{{Scope: "a", MaxConcurrent: -1}}}, "limits: invalid request: rules[0] (a): negative concurrent_requests limit"},
		{limits.Request{Rules: []limits.Rule{{Scope: "a"}, {Scope: "b"}, {Scope: "a"}}}, `limits: invalid request: rules[2]: scope "a" repeats rules[0]`},
		{limits.Request{OutputTokens: -5}, "limits: invalid request: negative token estimate (input 0, output -5)"},
	}
	for _, tc := range tests {
		err := tc.req.Validate()
		if err == nil || err.Error() != tc.want || !errors.Is(err, limits.ErrInvalid) {
			t.Errorf("Validate() = %v, want %q", err, tc.want)
		}
	}
	ok := limits.Request{Rules: []limits.Rule{{Scope: "a", TokensPerMinute: 5}}, InputTokens: 3}
	if err := ok.Validate(); err != nil {
		t.Errorf("valid request: %v", err)
	}
}

func TestShare(t *testing.T) {
	in := []limits.Rule{{Scope: "t", RequestsPerMinute: 100, TokensPerMinute: 10, InputTokensPerMinute: 2, MaxConcurrent: 7}}
	got := limits.Share(in, 3)[0]
	want := limits.Rule{Scope: "t", RequestsPerMinute: 33, TokensPerMinute: 3, InputTokensPerMinute: 1, MaxConcurrent: 2}
	if got != want {
		t.Errorf("Share = %+v, want %+v", got, want)
	}
	if in[0].RequestsPerMinute != 100 {
		t.Error("Share changed its input")
	}
}
