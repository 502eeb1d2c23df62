package policy

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var ignoreID = cmpopts.IgnoreFields(Decision{}, "DecisionID")

func TestEvaluateDecisions(t *testing.T) {
	forEachEvaluator(t, testEvaluateDecisions)
}

func testEvaluateDecisions(t *testing.T, interpreter bool) {
	e := newTestEngine(t, Options{Dir: "testdata/cases", Catalogue: testCatalogue, Interpreter: interpreter})
	tests := []struct {
		model string
		want  Decision
	}{
		{"allow", Decision{Allow: true}},
		{"allow-full", Decision{
			Allow:   true,
			Reasons: []string{"r1", "r2"},
			Route: Route{
				Backend:  "openai",
				Model:    "gpt-4o-mini",
				Split:    []Target{{Model: "gpt-4o", Weight: 90}, {Model: "claude", Backend: "anthropic", Weight: 10}},
				Sticky:   "user",
				Fallback: []Target{{Model: "claude"}},
			},
			Headers:    Headers{Upstream: map[string]string{"x-team": "search"}, Downstream: map[string]string{"x-policy": "v3"}},
			Overrides:  Overrides{Redaction: map[string]string{"EMAIL": "mask"}, Guardrails: map[string]string{"toxicity": "block"}},
			LimitClass: "gold",
			Audit:      "full",
			Models:     []string{"gpt-4o", "claude"},
		}},
		{"deny", Decision{Status: 429, Reason: "slow down", Reasons: []string{"rate_limit"}}},
		{"deny-default", Decision{Status: 403, Reason: "denied by policy"}},
		{"absent-allow", Decision{Status: 403, Reason: "no allow field"}},
		{"set-reasons", Decision{Status: 429, Reason: "denied by policy", Reasons: []string{"budget", "rate"}}},
		{"undefined", Decision{Status: 403, Reason: "no policy decision"}},
	}
	for _, tt := range tests {
		t.Run(tt.model, func(t *testing.T) {
			d, err := e.Evaluate(context.Background(), input(tt.model))
			if err != nil {
				t.Fatalf("Evaluate: %v", err)
			}
			if diff := cmp.Diff(&tt.want, d, ignoreID); diff != "" {
				t.Errorf("decision (-want +got):\n%s", diff)
			}
			if len(d.DecisionID) != 36 {
				t.Errorf("DecisionID = %q, want a UUID", d.DecisionID)
			}
		})
	}
	if s := e.Stats(); s.Allow != 2 || s.Deny != 5 {
		t.Errorf("Stats = %+v, want 2 allow, 5 deny", s)
	}
}

func TestEvaluateMalformed(t *testing.T) {
	forEachEvaluator(t, testEvaluateMalformed)
}

func testEvaluateMalformed(t *testing.T, interpreter bool) {
	e := newTestEngine(t, Options{Dir: "testdata/cases", Catalogue: testCatalogue, Interpreter: interpreter})
	tests := []struct {
		model   string
		wantErr string
	}{
		{"not-object", "decision: want an object, got string"},
		{"allow-not-bool", "allow: want a boolean, got string"},
		{"status-500", "status: want 401, 403 or 429, got 500"},
		{"status-string", "status: want a number, got string"},
		{"weight-zero", "route.split[0].weight: want a positive integer, got 0"},
		{"weight-float", "route.split[0].weight: want a positive integer, got 1.5"},
		{"weight-missing", "route.split[0].weight: missing"},
		{"header-name", `headers.upstream: header "team": want a name starting with x-`},
		{"header-reserved", `headers.upstream: header "x-sluice-backend": the x-sluice- and x-envoy- prefixes are reserved`},
		{"header-value", `headers.downstream: header "x-a": value contains a line break or NUL`},
		{"sticky-unknown", `route.sticky: want user, key, tenant, session or empty, got "ip"`},
		{"backend-unknown", `route.backend: unknown backend "nowhere"`},
		{"model-unknown", `route.fallback[0].model: unknown model "gpt-9"`},
		{"redaction-unknown", `overrides.redaction.EMAIL: want allow, log, mask, hash, pseudonymize or block, got "shred"`},
		{"audit-unknown", `audit: want minimal, standard or full, got "verbose"`},
		{"reasons-numbers", "reasons: want strings, got number"},
	}
	for _, tt := range tests {
		t.Run(tt.model, func(t *testing.T) {
			d, err := e.Evaluate(context.Background(), input(tt.model))
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("err = %v, want ErrMalformed", err)
			}
			if got := strings.TrimPrefix(err.Error(), ErrMalformed.Error()+": "); got != tt.wantErr {
				t.Errorf("err = %q, want %q", got, tt.wantErr)
			}
			want := &Decision{Status: 403, Reason: "invalid policy decision"}
			if diff := cmp.Diff(want, d, ignoreID); diff != "" {
				t.Errorf("decision (-want +got):\n%s", diff)
			}
		})
	}
	if s := e.Stats(); s.Malformed != uint64(len(tests)) {
		t.Errorf("Stats.Malformed = %d, want %d", s.Malformed, len(tests))
	}
}

func TestEvaluateRuntimeError(t *testing.T) {
	forEachEvaluator(t, testEvaluateRuntimeError)
}

func testEvaluateRuntimeError(t *testing.T, interpreter bool) {
	tests := []struct {
		name  string
		opts  Options
		want  Decision
		stats Stats
	}{
		{"fail closed", Options{},
			Decision{Status: 503, Reason: "policy error"}, Stats{Error: 1}},
		{"fail open", Options{FailOpen: true},
			Decision{Allow: true, FailedOpen: true}, Stats{FailedOpen: 1}},
		{"dry run", Options{Mode: DryRun},
			Decision{Allow: true, DryRunDenied: true, Status: 503, Reason: "policy error"}, Stats{Error: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Dir, tt.opts.Interpreter = "testdata/cases", interpreter
			e := newTestEngine(t, tt.opts)
			d, err := e.Evaluate(context.Background(), input("conflict"))
			if !errors.Is(err, ErrPolicy) || !strings.Contains(err.Error(), "eval_conflict_error") {
				t.Fatalf("err = %v, want ErrPolicy with eval_conflict_error", err)
			}
			if diff := cmp.Diff(&tt.want, d, ignoreID); diff != "" {
				t.Errorf("decision (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.stats, e.Stats()); diff != "" {
				t.Errorf("Stats (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEvaluateCancelled(t *testing.T) {
	e := newTestEngine(t, Options{Dir: "testdata/cases"})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	d, err := e.Evaluate(ctx, input("allow"))
	if !errors.Is(err, ErrPolicy) || d.Allow {
		t.Fatalf("Evaluate on a cancelled context = %+v, %v; want a 503 deny wrapping ErrPolicy", d, err)
	}
}

func TestDryRun(t *testing.T) {
	var logs syncBuffer
	e := newTestEngine(t, Options{
		Dir:    "testdata/cases",
		Mode:   DryRun,
		Logger: slog.New(slog.NewTextHandler(&logs, nil)),
	})
	tests := []struct {
		model string
		want  Decision
		err   error
	}{
		{"allow", Decision{Allow: true}, nil},
		{"deny", Decision{Allow: true, DryRunDenied: true, Status: 429, Reason: "slow down", Reasons: []string{"rate_limit"}}, nil},
		{"undefined", Decision{Allow: true, DryRunDenied: true, Status: 403, Reason: "no policy decision"}, nil},
		{"allow-not-bool", Decision{Allow: true, DryRunDenied: true, Status: 403, Reason: "invalid policy decision"}, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.model, func(t *testing.T) {
			d, err := e.Evaluate(context.Background(), input(tt.model))
			if !errors.Is(err, tt.err) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if diff := cmp.Diff(&tt.want, d, ignoreID); diff != "" {
				t.Errorf("decision (-want +got):\n%s", diff)
			}
		})
	}
	if diff := cmp.Diff(Stats{Allow: 1, DryRunDeny: 2, Malformed: 1}, e.Stats()); diff != "" {
		t.Errorf("Stats (-want +got):\n%s", diff)
	}
	if got := strings.Count(logs.String(), "request would be denied"); got != 3 {
		t.Errorf("logged %d dry-run denials, want 3:\n%s", got, logs.String())
	}
	if !strings.Contains(logs.String(), `reason="slow down"`) {
		t.Errorf("dry-run log lacks the policy's reason:\n%s", logs.String())
	}
}

func TestCatalogueAndData(t *testing.T) {
	var logs syncBuffer
	e := newTestEngine(t, Options{
		Dir:       "testdata/catalogue",
		Catalogue: testCatalogue,
		Data:      map[string]any{"dev": true},
		Logger:    slog.New(slog.NewTextHandler(&logs, nil)),
	})
	d, err := e.Evaluate(context.Background(), input("gpt-4o"))
	if err != nil {
		t.Fatal(err)
	}
	want := &Decision{
		Allow:      true,
		LimitClass: "gold",
		Headers:    Headers{Upstream: map[string]string{"x-region": "eu"}},
		Route:      Route{Backend: "openai"},
	}
	if diff := cmp.Diff(want, d, ignoreID); diff != "" {
		t.Errorf("decision (-want +got):\n%s", diff)
	}

	wantNotices := []string{"anonymous callers may use the mock model", "policy data is loaded"}
	if diff := cmp.Diff(wantNotices, e.Notices()); diff != "" {
		t.Errorf("Notices (-want +got):\n%s", diff)
	}
	for _, n := range wantNotices {
		if !strings.Contains(logs.String(), `level=WARN msg="policy notice: `+n+`"`) {
			t.Errorf("notice %q not logged at WARN:\n%s", n, logs.String())
		}
	}

	// A configuration reload changes what the same policy decides.
	acme := testCatalogue.Tenants["acme"]
	acme.Models = []string{"claude"}
	c := testCatalogue
	c.Tenants = map[string]Tenant{"acme": acme}
	if err := e.SetCatalogue(c); err != nil {
		t.Fatal(err)
	}
	if d, _ := e.Evaluate(context.Background(), input("gpt-4o")); d.Allow {
		t.Errorf("gpt-4o allowed after the tenant's allowlist dropped it")
	}
	if d, _ := e.Evaluate(context.Background(), input("claude")); !d.Allow || d.Route.Backend != "anthropic" {
		t.Errorf("claude decision = %+v, want allowed on anthropic", d)
	}

	if err := e.SetData(nil); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"policy data is loaded"}, e.Notices()); diff != "" {
		t.Errorf("Notices after SetData (-want +got):\n%s", diff)
	}
	// Notices are logged when they change, not on every configuration reload.
	for n, want := range map[string]int{"anonymous callers may use the mock model": 1, "policy data is loaded": 2} {
		if got := strings.Count(logs.String(), "policy notice: "+n); got != want {
			t.Errorf("notice %q logged %d times, want %d", n, got, want)
		}
	}
}

func TestNewErrors(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"no source", Options{}, "policy: set exactly one of Dir and Bundle"},
		{"both sources", Options{Dir: "x", Bundle: &BundleOptions{URL: "http://x"}}, "policy: set exactly one of Dir and Bundle"},
		{"bad query", Options{Dir: "testdata/cases", Query: "input.x"}, `policy: query "input.x": want a reference into data, like data.sluice.decision`},
		{"missing dir", Options{Dir: "testdata/nowhere"}, "policy: stat testdata/nowhere: no such file or directory"},
		{"bad bundle URL", Options{Bundle: &BundleOptions{URL: "ftp://x"}}, `policy: bundle URL "ftp://x": want an http or https URL`},
		{"bad data", Options{Dir: "testdata/cases", Data: map[string]any{"c": make(chan int)}}, "policy: data.sluice.config: c: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(context.Background(), tt.opts)
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Fatalf("New = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestNewRejectsPolicy(t *testing.T) {
	tests := []struct {
		fixture string
		want    string
	}{
		{"testdata/reload/broken.rego", "rego_parse_error"},
		{"testdata/reload/strict.rego", "rego_compile_error: assigned var unused unused"},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			dir := t.TempDir()
			replaceFile(t, tt.fixture, dir+"/policy.rego")
			_, err := New(context.Background(), Options{Dir: dir})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestParseMode(t *testing.T) {
	tests := []struct {
		in      string
		want    Mode
		wantErr bool
	}{
		{"", Enforce, false},
		{"enforce", Enforce, false},
		{"dry_run", DryRun, false},
		{"dry-run", Enforce, true},
	}
	for _, tt := range tests {
		got, err := ParseMode(tt.in)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("ParseMode(%q) = %v, %v", tt.in, got, err)
		}
		if err == nil && got.String() != tt.in && tt.in != "" {
			t.Errorf("%v.String() = %q, want %q", got, got.String(), tt.in)
		}
	}
}
