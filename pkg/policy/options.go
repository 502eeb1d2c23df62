package policy

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
)

// DefaultQuery is the decision every request asks for.
const DefaultQuery = "data.sluice.decision"

// noticesQuery is evaluated, without input, after every load; each string
// it yields is logged at WARN.
const noticesQuery = "data.sluice.notices"

// Mode says whether a deny is enforced.
type Mode uint8

const (
	// Enforce obeys every decision.
	Enforce Mode = iota
	// DryRun evaluates and logs every decision but lets a deny through.
	DryRun
)

func (m Mode) String() string {
	if m == DryRun {
		return "dry_run"
	}
	return "enforce"
}

// ParseMode reads the configuration's spelling of a mode: "enforce" (or
// empty) and "dry_run".
func ParseMode(s string) (Mode, error) {
	switch s {
	case "", "enforce":
		return Enforce, nil
	case "dry_run":
		return DryRun, nil
	}
	return Enforce, fmt.Errorf("policy: unknown mode %q: want enforce or dry_run", s)
}

// Options configures an Engine. Exactly one of Dir and Bundle is set.
type Options struct {
	// Dir holds the policy: *.rego files (not *_test.rego) and data.json or
	// data.yaml files, in any subdirectory except hidden ones and testdata.
	// It is watched, and a change reloads the policy.
	Dir string
	// Bundle polls an OPA bundle server instead of reading Dir.
	Bundle *BundleOptions
	// Query is the decision to evaluate; DefaultQuery when empty.
	Query string
	// Mode is Enforce or DryRun.
	Mode Mode
	// Interpreter evaluates the policy with OPA's Rego interpreter
	// (topdown) instead of the plan OPA's planner compiles it to. Both
	// decide alike; the plan is several times faster, the interpreter is
	// the reference to compare it with.
	Interpreter bool
	// MemoSize is how many decisions the compiled evaluator remembers by
	// the input values each read, to answer a request that agrees with
	// an earlier one on all of them without evaluating (package policyvm,
	// readmemo.go). Zero leaves it off.
	MemoSize int
	// FailOpen lets a request through when the policy fails at runtime.
	// The default is to fail closed.
	FailOpen bool
	// Data is placed at data.sluice.config.
	Data map[string]any
	// Catalogue is placed at data.sluice.tenants, models and backends.
	Catalogue Catalogue
	// DecisionLog receives one JSON line per decision, in OPA's
	// decision-log event format. Nil turns decision logging off. Writes
	// happen on a separate goroutine; when it falls behind by
	// DecisionLogBuffer events, further events are dropped and counted, as
	// are events after Close.
	DecisionLog io.Writer
	// DecisionLogBuffer bounds the queue of unwritten events; 4096 when 0.
	DecisionLogBuffer int
	// OnReload is called after every reload that changed the policy or
	// failed, with nil on success. A failed reload keeps the last good
	// policy. It runs on the watching goroutine and must not call Reload.
	OnReload func(error)
	// Logger receives load errors, notices and dry-run denials;
	// slog.Default() when nil.
	Logger *slog.Logger
	// Now is the clock for input.time and the decision log; time.Now when nil.
	Now func() time.Time
}

// BundleOptions locates an OPA bundle server. Sluice polls URL with
// If-None-Match, so an unchanged bundle costs the server a 304.
type BundleOptions struct {
	// URL is the bundle's full address, e.g. https://bundles.example/sluice.tar.gz.
	URL string
	// MinDelay and MaxDelay bound the random wait between polls; 60s and
	// 120s when zero, as in OPA.
	MinDelay, MaxDelay time.Duration
	// BearerToken, when set, is sent as "Authorization: Bearer <token>".
	BearerToken string
	// MaxBytes bounds the size of the bundle and of every file in it;
	// 64 MiB when zero.
	MaxBytes int64
	// HTTPClient is used for the requests; one with a 30s timeout when nil.
	HTTPClient *http.Client
}

const (
	defaultLogBuffer      = 4096
	defaultMinDelay       = 60 * time.Second
	defaultMaxDelay       = 120 * time.Second
	defaultBundleMaxBytes = 64 << 20
	defaultBundleTimeout  = 30 * time.Second
)

// withDefaults validates o and returns a copy with the defaults filled in,
// and the query's data path ("sluice/decision") for the decision log.
func (o Options) withDefaults() (Options, string, error) {
	if (o.Dir == "") == (o.Bundle == nil) {
		return o, "", errors.New("policy: set exactly one of Dir and Bundle")
	}
	if o.Mode != Enforce && o.Mode != DryRun {
		return o, "", fmt.Errorf("policy: unknown mode %d", o.Mode)
	}
	if o.Query == "" {
		o.Query = DefaultQuery
	}
	path, err := queryPath(o.Query)
	if err != nil {
		return o, "", err
	}
	if o.DecisionLogBuffer <= 0 {
		o.DecisionLogBuffer = defaultLogBuffer
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Bundle != nil {
		b, err := o.Bundle.withDefaults()
		if err != nil {
			return o, "", err
		}
		o.Bundle = &b
	}
	return o, path, nil
}

func (b BundleOptions) withDefaults() (BundleOptions, error) {
	u, err := url.Parse(b.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return b, fmt.Errorf("policy: bundle URL %q: want an http or https URL", b.URL)
	}
	if b.MinDelay <= 0 {
		b.MinDelay = defaultMinDelay
	}
	if b.MaxDelay <= 0 {
		b.MaxDelay = max(defaultMaxDelay, b.MinDelay)
	}
	if b.MaxDelay < b.MinDelay {
		return b, fmt.Errorf("policy: bundle MaxDelay %s is less than MinDelay %s", b.MaxDelay, b.MinDelay)
	}
	if b.MaxBytes <= 0 {
		b.MaxBytes = defaultBundleMaxBytes
	}
	if b.HTTPClient == nil {
		b.HTTPClient = &http.Client{Timeout: defaultBundleTimeout}
	}
	return b, nil
}

// queryPath checks that query is a plain reference into data and returns
// it the way OPA's decision log names it: data.sluice.decision is
// "sluice/decision".
func queryPath(query string) (string, error) {
	ref, err := ast.ParseRef(query)
	if err != nil {
		return "", fmt.Errorf("policy: query %q: %w", query, err)
	}
	if !ref.HasPrefix(ast.DefaultRootRef) || !ref.IsGround() {
		return "", fmt.Errorf("policy: query %q: want a reference into data, like %s", query, DefaultQuery)
	}
	parts := make([]string, 0, len(ref)-1)
	for _, t := range ref[1:] {
		s, ok := t.Value.(ast.String)
		if !ok {
			return "", fmt.Errorf("policy: query %q: want string path segments", query)
		}
		parts = append(parts, string(s))
	}
	return strings.Join(parts, "/"), nil
}
