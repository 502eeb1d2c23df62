package policy

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/profiler"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/topdown"

	"github.com/sluice-gw/sluice/pkg/policyvm"
)

// The reference policy in policies/sluice, measured through the Engine
// with its shipped data.json and a catalogue shaped like a large
// production deployment: 100 tenants, 1,000 API keys, 20 models on 8
// backends, and requests of every kind the policy judges.
//
//	go test -run '^$' -bench ReferencePolicy ./pkg/policy/
//	go test -run TestReferencePolicyLatency -v ./pkg/policy/
//	SLUICE_REGO_PROFILE=25 go test -run TestReferencePolicyProfile -v ./pkg/policy/
//
// SLUICE_REFERENCE_POLICY measures another copy of the policy instead;
// SLUICE_REFERENCE_BASELINE compares this one with another copy (see
// TestReferencePolicyMatchesBaseline and TestReferencePolicyLatency).
const (
	refTenants = 100
	refKeys    = 1000
)

// refPolicyDir is the policy measured: the reference library, unless
// SLUICE_REFERENCE_POLICY names another copy of it.
var refPolicyDir = func() string {
	if dir := os.Getenv("SLUICE_REFERENCE_POLICY"); dir != "" {
		return dir
	}
	return "../../policies/sluice"
}()

// refBackends are the backends of the catalogue, with the labels the
// reference policy reads (region, pii_safe).
var refBackends = map[string]Backend{
	"mock":         {Provider: "openai_compatible", Labels: map[string]string{"region": "local"}},
	"openai":       {Provider: "openai", Labels: map[string]string{"region": "us"}},
	"azure_openai": {Provider: "azure_openai", Labels: map[string]string{"region": "eu"}},
	"anthropic":    {Provider: "anthropic", Labels: map[string]string{"region": "us"}},
	"bedrock":      {Provider: "bedrock", Labels: map[string]string{"region": "us-east-1"}},
	"gemini":       {Provider: "gemini", Labels: map[string]string{"region": "us"}},
	"mistral":      {Provider: "openai_compatible", Labels: map[string]string{"region": "eu"}},
	"vllm":         {Provider: "openai_compatible", Labels: map[string]string{"region": "eu", "pii_safe": "true"}},
}

// refModels are the 20 public models. The names the shipped data.json
// routes between (gpt-4o, gpt-4o-mini, azure-gpt-4o, claude-sonnet-4-5,
// bedrock-claude-haiku) are among them, so its keyword route, budget
// downgrades, split and fallbacks all take part.
var refModels = []struct {
	name, backend string
	aliases       []string
	costly        bool
}{
	{"mock-gpt", "mock", nil, false},
	{"mock-embed", "mock", nil, false},
	{"gpt-4o", "openai", []string{"gpt4o"}, true},
	{"gpt-4o-mini", "openai", []string{"gpt4o-mini"}, false},
	{"gpt-4.1", "openai", nil, true},
	{"gpt-4.1-mini", "openai", nil, false},
	{"o3", "openai", nil, true},
	{"text-embedding-3-small", "openai", nil, false},
	{"text-embedding-3-large", "openai", nil, false},
	{"azure-gpt-4o", "azure_openai", nil, true},
	{"azure-gpt-4o-mini", "azure_openai", nil, false},
	{"azure-embedding", "azure_openai", nil, false},
	{"claude-sonnet-4-5", "anthropic", []string{"claude"}, false},
	{"claude-opus-4", "anthropic", nil, true},
	{"bedrock-claude-haiku", "bedrock", nil, false},
	{"gemini-2.5-flash", "gemini", nil, false},
	{"gemini-2.5-pro", "gemini", nil, true},
	{"mistral-large", "mistral", nil, false},
	{"mistral-small", "mistral", nil, false},
	{"llama-house", "vllm", nil, false},
}

var refEmbeddingModels = []string{"text-embedding-3-small", "text-embedding-3-large", "azure-embedding", "mock-embed"}

// refTenantModels is tenant i's allowlist: every model for a quarter of
// the tenants, otherwise eight to eleven models, some named by alias. A
// tenant in the EU mostly lists models served there.
func refTenantModels(i int) []string {
	if i%4 == 0 {
		return nil
	}
	names := []string{"gpt-4o-mini", "text-embedding-3-small", "azure-gpt-4o", "mock-gpt"}
	if refTenantRegion(i) == "eu" {
		names = []string{"azure-gpt-4o-mini", "azure-embedding", "azure-gpt-4o", "mistral-small"}
	}
	if i%2 == 0 {
		names = append(names, "gpt4o") // by alias
	} else {
		names = append(names, "gpt-4o")
	}
	for m := range 3 + i%4 {
		names = append(names, refModels[(i*7+m*3)%len(refModels)].name)
	}
	return slices.Compact(names)
}

func refTenantRegion(i int) string { return []string{"eu", "us", ""}[i%3] }

func refCatalogue() Catalogue {
	c := Catalogue{
		Tenants:  make(map[string]Tenant, refTenants),
		Models:   make(map[string]Model, len(refModels)),
		Backends: refBackends,
	}
	for _, m := range refModels {
		labels := map[string]string{"family": strings.SplitN(m.name, "-", 2)[0]}
		if m.costly {
			labels["cost"] = "high"
		}
		c.Models[m.name] = Model{
			Backend: m.backend, Provider: refBackends[m.backend].Provider,
			UpstreamModel: m.name, Aliases: m.aliases, Labels: labels,
		}
	}
	for i := range refTenants {
		teams := map[string]Team{
			"platform": {Labels: map[string]string{"cost_center": "1"}},
			"search":   {Models: refTeamModels["search"]},
			"research": {},
			"support":  {Models: refTeamModels["support"]},
		}
		roles := []string{"developer", "admin", "viewer"}
		if i%5 == 0 {
			roles = nil // every role honoured
		}
		c.Tenants[refTenantName(i)] = Tenant{
			Models: refTenantModels(i),
			Roles:  roles,
			Labels: map[string]string{"tier": []string{"gold", "silver", "bronze"}[i%3]},
			Region: refTenantRegion(i),
			Teams:  teams,
		}
	}
	return c
}

func refTenantName(i int) string { return fmt.Sprintf("tenant-%03d", i) }

// refTeams are the callers' teams: most have no allowlist of their own.
var refTeams = []string{"platform", "research", "platform", "research", "platform", "research", "search", "support"}

// refWeekday and refWeekend are the two evaluation times: inside and
// outside the shipped business hours.
var (
	refWeekday = time.Date(2026, 11, 18, 14, 3, 0, 0, time.UTC)
	refWeekend = time.Date(2026, 11, 21, 14, 3, 0, 0, time.UTC)
)

// refTeamModels are the allowlists of the teams that have one.
var refTeamModels = map[string][]string{
	"search":  {"gpt-4o-mini", "text-embedding-3-small", "claude"},
	"support": {"gpt-4o-mini", "mock-gpt"},
}

// refCanonical is the model a name or alias stands for.
func refCanonical(name string) string {
	for _, m := range refModels {
		if slices.Contains(m.aliases, name) {
			return m.name
		}
	}
	return name
}

// refChoices are the models a caller of tenant i in team may use: on its
// tenant's and team's allowlists, and served in its region (or with an
// in-region stand-in).
func refChoices(i int, team string) []string {
	var out []string
	for _, m := range refModels {
		listed := func(names []string) bool {
			return names == nil || slices.ContainsFunc(names, func(n string) bool { return refCanonical(n) == m.name })
		}
		inRegion := refTenantRegion(i) != "eu" || refBackends[m.backend].Labels["region"] == "eu" || m.name == "gpt-4o"
		if listed(refTenantModels(i)) && listed(refTeamModels[team]) && inRegion {
			out = append(out, m.name)
		}
	}
	return out
}

// refInputs are one request per API key. About three in four are allowed,
// most of them plain chat calls; every stage of the policy denies some,
// and some take each routing path (keyword route, budget downgrade,
// split, fallback, residency stand-in, the models list). The last quarter
// is made at the weekend, so the engine's input.time changes twice per
// round.
func refInputs() []*Input {
	ins := make([]*Input, refKeys)
	for k := range refKeys {
		tenant := k % refTenants
		team := refTeams[k%len(refTeams)]
		choices := refChoices(tenant, team)
		roles := []string{"developer"}
		switch {
		case k%10 == 0:
			roles = []string{"admin"}
		case k%29 == 0:
			roles = []string{"viewer", "developer"}
		case k%43 == 0:
			roles = []string{"viewer"}
		}
		keyLabels := map[string]string{"env": "prod"}
		switch {
		case k%37 == 0:
			keyLabels["scope"] = "embeddings-only"
		case k%23 == 0:
			keyLabels["scope"] = "chat-only"
		}
		api, path, model := "chat_completions", "/v1/chat/completions", ""
		switch {
		case k%20 == 0:
			api, path = "models", "/v1/models"
		case k%7 == 0:
			api, path, model = "embeddings", "/v1/embeddings", refEmbeddingModels[k%len(refEmbeddingModels)]
			for _, m := range choices {
				if slices.Contains(refEmbeddingModels, m) {
					model = m
				}
			}
		case k%13 == 0 || len(choices) == 0: // anything in the catalogue
			model = refModels[(k*3)%len(refModels)].name
		default: // something the caller may use
			model = choices[k%len(choices)]
		}
		msg := "Could you summarise the attached quarterly report in five bullet points for the board, " +
			"keeping the tone neutral and the numbers exact?"
		if k%5 == 0 {
			msg = "How do I reverse a linked list in Go? I have tried iterating and " +
				"keeping a pointer to the previous node but I lose the rest of the list."
		}
		pii := []string{}
		switch {
		case k%31 == 0:
			pii = []string{"EMAIL", "CREDIT_CARD"}
		case k%2 == 0:
			pii = []string{"EMAIL"}
		}
		score := 0.02
		if k%41 == 0 {
			score = 0.95
		}
		remaining := 0.6
		if k%8 == 0 {
			remaining = 0.05
		}
		now := refWeekday
		if k >= refKeys*3/4 {
			now = refWeekend
		}
		in := &Input{
			Identity: Identity{
				Authenticated: true,
				Source:        "api_key",
				Subject:       fmt.Sprintf("key:k%04d", k),
				Tenant:        refTenantName(tenant),
				Team:          team,
				App:           "ranker",
				User:          fmt.Sprintf("user%d@tenant-%03d.example", k, tenant),
				Roles:         roles,
				Labels:        map[string]string{"env": "prod"},
				Key: &Key{
					ID: fmt.Sprintf("k%04d", k), Name: "ranker-prod", Owner: "owner@example.com",
					ExpiresAt: now.Add(time.Duration(k%400-3) * 24 * time.Hour), Expired: k%97 == 0,
					Labels: keyLabels,
				},
			},
			Request: Request{
				ID: "req-" + strconv.Itoa(k), API: api, Method: "POST", Path: path, Model: model,
				Stream: k%2 == 0, MaxTokens: 512, InputTokensEstimate: 734, MessageCount: 4,
				Parameters:      map[string]any{"temperature": 0.2, "top_p": 1.0, "n": 1, "response_format": "json_schema"},
				Tools:           Tools{Present: true, Count: 2, Names: []string{"search", "lookup"}},
				LastUserMessage: msg,
			},
			Source:    Source{Address: fmt.Sprintf("10.%d.%d.%d", tenant, k/250, k%250), Port: 53122},
			RouteName: "sluice",
			Findings:  Findings{PII: PII{Types: pii, Count: len(pii)}, Injection: Injection{Score: score}},
			Usage:     map[string]any{"budget": map[string]any{"remaining_fraction": remaining}},
			Time:      now,
		}
		if api == "models" {
			in.Request.Method = "GET"
		}
		if k%101 == 0 { // an anonymous caller in production
			in.Identity = Identity{Source: "anonymous", Roles: []string{}, Labels: map[string]string{}}
		}
		ins[k] = in
	}
	return ins
}

// refEngine loads the reference policy with the catalogue above, as
// Sluice loads it in production (no development flag).
func refEngine(tb testing.TB) *Engine { return refEngineWith(tb, false) }

// refEngineWith is refEngine evaluating with OPA's interpreter, or with
// the compiled plan.
func refEngineWith(tb testing.TB, interpreter bool) *Engine {
	return refEngineOpts(tb, Options{Dir: refPolicyDir, Interpreter: interpreter})
}

// refEngineOpts is an engine of o with the reference catalogue, the
// reference time and no log, unless o says otherwise.
func refEngineOpts(tb testing.TB, o Options) *Engine {
	tb.Helper()
	if o.Catalogue.Tenants == nil {
		o.Catalogue = refCatalogue()
	}
	if o.Now == nil {
		o.Now = func() time.Time { return refWeekday }
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	e, err := New(context.Background(), o)
	if err != nil {
		tb.Fatalf("loading %s: %v", o.Dir, err)
	}
	tb.Cleanup(func() { _ = e.Close() })
	return e
}

// refOutcomes evaluates every input once, fails on any error or undefined
// decision, and counts decisions by their first reason.
func refOutcomes(tb testing.TB, e *Engine, ins []*Input) map[string]int {
	tb.Helper()
	out := map[string]int{}
	for i, in := range ins {
		d, err := e.Evaluate(context.Background(), in)
		if err != nil || d.Reason == reasonUndefined || len(d.Reasons) == 0 {
			tb.Fatalf("input %d: %+v, %v", i, d, err)
		}
		switch {
		case d.Allow && len(d.Reasons) > 1:
			out["allow+"+strings.Join(d.Reasons[1:], "+")]++
		case d.Allow && len(d.Models) > 0:
			out["allow (models list)"]++
		default:
			out[d.Reasons[0]]++
		}
	}
	return out
}

// refKind groups decisions for a report: plain allows, routed allows,
// models lists, and denials by the stage that denied.
func refKind(d *Decision) string {
	switch {
	case d.Allow && len(d.Models) > 0:
		return "allow, models list"
	case d.Allow && len(d.Reasons) > 1:
		return "allow, routed"
	case d.Allow:
		return "allow"
	}
	switch d.Reasons[0] {
	case "unauthenticated", "key_expired":
		return "deny, authn"
	case "ip_denied", "ip_not_allowed", "ip_unknown":
		return "deny, network"
	case "api_not_enabled", "unknown_tenant", "role_list_only", "key_scope":
		return "deny, access"
	case "pii_blocked", "prompt_injection":
		return "deny, content"
	}
	return "deny, routing"
}

func BenchmarkReferencePolicy(b *testing.B) {
	e := refEngine(b)
	ins := refInputs()
	refOutcomes(b, e, ins)
	ctx := context.Background()
	run := func(b *testing.B, ins []*Input) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if _, err := e.Evaluate(ctx, ins[i%len(ins)]); err != nil {
				b.Fatal(err)
			}
			i++
		}
	}
	b.Run("mixed", func(b *testing.B) { run(b, ins) })
	if baseline := os.Getenv("SLUICE_REFERENCE_BASELINE"); baseline != "" {
		eb := refEngineAt(b, baseline, nil)
		b.Run("mixed-baseline", func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if _, err := eb.Evaluate(ctx, ins[i%len(ins)]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
	// One kind of decision at a time.
	kinds := map[string]func(d *Decision) bool{
		"allow": func(d *Decision) bool { return d.Allow && len(d.Models) == 0 && len(d.Reasons) == 1 },
		"allow-routed": func(d *Decision) bool {
			return d.Allow && len(d.Route.Split) > 0 && len(d.Route.Fallback) > 0
		},
		"models-list":  func(d *Decision) bool { return d.Allow && len(d.Models) > 0 },
		"deny-authn":   func(d *Decision) bool { return !d.Allow && d.Status == 401 },
		"deny-content": func(d *Decision) bool { return !d.Allow && d.Reasons[0] == "prompt_injection" },
		"deny-model": func(d *Decision) bool {
			return !d.Allow && (d.Reasons[0] == "tenant_model_allowlist" || d.Reasons[0] == "data_residency")
		},
	}
	for _, name := range []string{"allow", "allow-routed", "models-list", "deny-authn", "deny-content", "deny-model"} {
		var some []*Input
		for _, in := range ins {
			if d, _ := e.Evaluate(ctx, in); kinds[name](d) {
				some = append(some, in)
			}
		}
		if len(some) == 0 {
			b.Fatalf("no input makes a %s decision", name)
		}
		b.Run(name, func(b *testing.B) { run(b, some) })
	}
}

// TestReferencePolicyLatency reports the latency of 10,000 decisions of
// the reference policy over the realistic inputs; run it with -v. Like
// TestDecisionLatency it asserts nothing about time (the targets are
// p50 ≤ 30µs and p99 ≤ 100µs); CPU time is the evaluating thread's own,
// which a busy machine does not inflate. With SLUICE_REFERENCE_BASELINE
// set to another copy of the policy, that copy is measured too, each of
// its decisions right after the same decision of this one, so that both
// see the same machine. To read the tail it also reports each input's
// median (the mix of decisions without the run-to-run spread) and a fixed
// loop timed the same way (the spread the machine adds by itself).
func TestReferencePolicyLatency(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("latency report: not with -short or -race")
	}
	ins := refInputs()
	engines := []*Engine{refEngine(t)}
	names := []string{refPolicyDir}
	if baseline := os.Getenv("SLUICE_REFERENCE_BASELINE"); baseline != "" {
		engines = append(engines, refEngineAt(t, baseline, nil))
		names = append(names, baseline)
	}
	outcomes := refOutcomes(t, engines[0], ins)
	ctx := context.Background()
	for range 2 { // warm up
		for _, in := range ins {
			for _, e := range engines {
				_, _ = e.Evaluate(ctx, in)
			}
		}
	}
	runtime.GC()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	const n = 10000
	wall := make([][]time.Duration, len(engines))
	cpu := make([][]time.Duration, len(engines))
	for j := range engines {
		wall[j], cpu[j] = make([]time.Duration, n), make([]time.Duration, n)
	}
	for i := range n {
		for j, e := range engines {
			c0, _ := threadCPU()
			start := time.Now()
			if _, err := e.Evaluate(ctx, ins[i%len(ins)]); err != nil {
				t.Fatal(err)
			}
			wall[j][i] = time.Since(start)
			c1, ok := threadCPU()
			if ok {
				cpu[j][i] = c1 - c0
			}
		}
	}
	t.Logf("%d tenants, %d keys, %d models: %d evaluations each", refTenants, refKeys, len(refModels), n)
	// CPU time by kind of decision, before the slices are sorted.
	kinds := make([]string, len(ins))
	for i, in := range ins {
		d, _ := engines[0].Evaluate(ctx, in)
		kinds[i] = refKind(d)
	}
	byKind := map[string][]time.Duration{}
	for i, d := range cpu[0] {
		byKind[kinds[i%len(ins)]] = append(byKind[kinds[i%len(ins)]], d)
	}
	// Each input's median over its runs, before the slices are sorted:
	// how much of the tail is the mix of decisions, not one decision's
	// spread from run to run.
	runs := n / len(ins)
	medians := make([]time.Duration, len(ins))
	for k := range ins {
		own := make([]time.Duration, 0, runs)
		for i := k; i < n; i += len(ins) {
			own = append(own, cpu[0][i])
		}
		slices.Sort(own)
		medians[k] = own[len(own)/2]
	}
	for j, name := range names {
		t.Logf("%s:", name)
		t.Logf("  wall: %s", refPercentiles(wall[j]))
		if _, ok := threadCPU(); ok {
			t.Logf("  cpu:  %s", refPercentiles(cpu[j]))
		}
	}
	if _, ok := threadCPU(); ok {
		t.Logf("cpu of %s, by kind of decision:", names[0])
		for _, kind := range slices.Sorted(maps.Keys(byKind)) {
			t.Logf("  %-20s %s", kind, refPercentiles(byKind[kind]))
		}
	}
	t.Logf("decisions over the %d inputs: %s", len(ins), refCounts(outcomes))
	if _, ok := threadCPU(); ok {
		t.Logf("cpu of %s, each input's median of its %d runs: %s", names[0], runs, refPercentiles(medians))
		// The same work every time, timed the same way: the spread the
		// machine adds on its own (interrupts, a neighbour's cache).
		t.Logf("the machine, a fixed loop timed the same way: %s", refPercentiles(refFixedWork(n)))
	}
}

// refSink keeps refFixedWork's loop from being optimised away.
var refSink uint64

// refFixedWork times n runs of the same loop, about 20 µs each, on the
// calling thread's CPU clock.
func refFixedWork(n int) []time.Duration {
	d := make([]time.Duration, n)
	for i := range d {
		c0, _ := threadCPU()
		x := uint64(i)
		for range 20000 {
			x = x*6364136223846793005 + 1442695040888963407
		}
		refSink += x
		c1, _ := threadCPU()
		d[i] = c1 - c0
	}
	return d
}

func refPercentiles(d []time.Duration) string {
	slices.Sort(d)
	n := len(d)
	return fmt.Sprintf("p50 %v, p90 %v, p99 %v, max %v", d[n/2], d[n*90/100], d[n*99/100], d[n-1])
}

func refIntPercentiles(d []int) string {
	slices.Sort(d)
	n := len(d)
	return fmt.Sprintf("p50 %d, p90 %d, p99 %d, max %d", d[n/2], d[n*90/100], d[n*99/100], d[n-1])
}

func refCounts(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}

// TestReferencePolicyProfile runs OPA's profiler over one decision per
// realistic input and logs the hottest expressions, and the expressions
// evaluated per decision. It runs only when SLUICE_REGO_PROFILE is set, to
// the number of expressions to show.
func TestReferencePolicyProfile(t *testing.T) {
	top, _ := strconv.Atoi(os.Getenv("SLUICE_REGO_PROFILE"))
	if top <= 0 {
		t.Skip("set SLUICE_REGO_PROFILE=<number of expressions> to profile the reference policy")
	}
	e := refEngine(t)
	ins := refInputs()
	if only := os.Getenv("SLUICE_REGO_PROFILE_INPUT"); only != "" {
		// One input, every expression it evaluates, in order of the files.
		k, err := strconv.Atoi(only)
		if err != nil || k < 0 || k >= len(ins) {
			t.Fatalf("SLUICE_REGO_PROFILE_INPUT=%s: want an input from 0 to %d", only, len(ins)-1)
		}
		ins = ins[k : k+1]
		top = 1 << 20
		t.Logf("input %d: %s %s of %s, team %s, roles %v: %s", k, ins[0].Request.API, ins[0].Request.Model,
			ins[0].Identity.Tenant, ins[0].Identity.Team, ins[0].Identity.Roles, refRawDecision(t, e, ins[0]))
	}
	st := e.cur.Load()
	ctx := context.Background()
	// A serving engine has computed its constant rules already.
	for _, in := range refInputs() {
		_, _ = e.Evaluate(ctx, in)
	}
	prof := profiler.New()
	steps := &refStepCounter{}
	perInput, rulesPerInput := make([]int, len(ins)), make([]int, len(ins))
	for i, in := range ins {
		input, err := in.toAST(&builder{names: st.strings}, newTimeTerm(in.Time))
		if err != nil {
			t.Fatal(err)
		}
		before, rulesBefore := steps.evals, steps.rules
		vc := newEvalCache(st.consts)
		_, err = st.query.Eval(ctx, rego.EvalParsedInput(policyvm.Plain(input).Value), rego.EvalTime(in.Time),
			rego.EvalQueryTracer(prof), rego.EvalQueryTracer(steps), rego.EvalVirtualCache(vc))
		if err != nil {
			t.Fatal(err)
		}
		vc.commit()
		perInput[i], rulesPerInput[i] = steps.evals-before, steps.rules-rulesBefore
	}
	order := make([]int, len(ins))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return perInput[b] - perInput[a] })
	for _, i := range order[:min(5, len(order))] {
		if len(ins) > 1 {
			t.Logf("input %d: %d expressions, %d rule bodies: %s", i, perInput[i], rulesPerInput[i], refRawDecision(t, e, ins[i]))
		}
	}
	if len(ins) > 1 {
		type sum struct{ n, evals, rules int }
		kinds := map[string]*sum{}
		for i, in := range ins {
			d, _ := e.Evaluate(ctx, in)
			kind := refKind(d)
			if kinds[kind] == nil {
				kinds[kind] = &sum{}
			}
			k := kinds[kind]
			k.n, k.evals, k.rules = k.n+1, k.evals+perInput[i], k.rules+rulesPerInput[i]
		}
		names := make([]string, 0, len(kinds))
		for name := range kinds {
			names = append(names, name)
		}
		slices.Sort(names)
		t.Logf("mean per decision, by outcome (expressions, rule bodies, decisions):")
		for _, name := range names {
			k := kinds[name]
			t.Logf("  %-28s %4d %4d %5d", name, k.evals/k.n, k.rules/k.n, k.n)
		}
	}
	t.Logf("expressions evaluated per decision: %s", refIntPercentiles(perInput))
	t.Logf("rule bodies entered per decision:   %s", refIntPercentiles(rulesPerInput))
	byFile, timeByFile := map[string]int{}, map[string]int64{}
	var total int64
	for file, fr := range prof.ReportByFile().Files {
		for _, s := range fr.Result {
			file := strings.TrimPrefix(file, refPolicyDir+"/")
			byFile[file] += s.NumEval
			timeByFile[file] += s.ExprTimeNs
			total += s.ExprTimeNs
		}
	}
	for file, evals := range byFile {
		byFile[file] = evals / len(ins)
	}
	files := make([]string, 0, len(byFile))
	for file := range byFile {
		files = append(files, file)
	}
	slices.SortFunc(files, func(a, b string) int { return byFile[b] - byFile[a] })
	t.Logf("expressions per decision and share of the profiled time, by file:")
	for _, file := range files {
		t.Logf("  %5d  %3d%%  %s", byFile[file], 100*timeByFile[file]/max(total, 1), file)
	}
	t.Logf("%-10s %-8s %-8s %s", "time", "evals", "redos", "location")
	criteria := []string{"total_time_ns", "num_eval", "num_redo", "file", "line"}
	if len(ins) == 1 {
		criteria = []string{"file", "line"}
	}
	for _, s := range prof.ReportTopNResults(top, criteria) {
		t.Logf("%-10v %-8d %-8d %s:%d", time.Duration(s.ExprTimeNs/int64(len(ins))), s.NumEval/len(ins),
			s.NumRedo/len(ins), strings.TrimPrefix(s.Location.File, refPolicyDir+"/"), s.Location.Row)
	}
}

// refStepCounter counts expression evaluations and rule bodies entered,
// measures of a decision's work that do not depend on the machine.
type refStepCounter struct{ evals, rules int }

func (*refStepCounter) Enabled() bool { return true }

func (*refStepCounter) Config() topdown.TraceConfig { return topdown.TraceConfig{} }

func (c *refStepCounter) TraceEvent(ev topdown.Event) {
	switch ev.Op {
	case topdown.EvalOp:
		c.evals++
	case topdown.EnterOp:
		if _, ok := ev.Node.(*ast.Rule); ok {
			c.rules++
		}
	}
}

// TestReferencePolicyMatchesBaseline compares, decision for decision, the
// reference policy with another copy of it (say, the last release) named
// by SLUICE_REFERENCE_BASELINE: the realistic inputs and many random ones,
// with the shipped data.json and with data that switches on every knob.
// A faster policy must decide exactly as the one it replaces.
func TestReferencePolicyMatchesBaseline(t *testing.T) {
	baseline := os.Getenv("SLUICE_REFERENCE_BASELINE")
	if baseline == "" {
		t.Skip("set SLUICE_REFERENCE_BASELINE=<policy directory> to compare the reference policy with it")
	}
	shipped, err := os.ReadFile(filepath.Join(refPolicyDir, "data.json"))
	if err != nil {
		t.Fatal(err)
	}
	ins := append(refInputs(), refRandomInputs(20000)...)
	for _, variant := range []struct {
		name string
		data string
		dev  bool
	}{
		{"shipped data", string(shipped), false},
		{"shipped data, development flag", string(shipped), true},
		{"every knob", refRichData, false},
		{"every knob, development flag", refRichData, true},
		{"no policy data", `{}`, false},
	} {
		t.Run(variant.name, func(t *testing.T) {
			got := refPolicyCopy(t, refPolicyDir, variant.data)
			want := refPolicyCopy(t, baseline, variant.data)
			var cfg map[string]any
			if variant.dev {
				cfg = map[string]any{"dev_anonymous_mock": true}
			}
			eg, ew := refEngineAt(t, got, cfg), refEngineAt(t, want, cfg)
			if !slices.Equal(eg.Notices(), ew.Notices()) {
				t.Errorf("notices differ:\n got %q\nwant %q", eg.Notices(), ew.Notices())
			}
			differ := 0
			for i, in := range ins {
				g, w := refRawDecision(t, eg, in), refRawDecision(t, ew, in)
				if g != w {
					differ++
					if differ <= 10 {
						t.Errorf("input %d (%+v, %+v, findings %+v, usage %v, %s):\n got %s\nwant %s",
							i, in.Identity, in.Request.API+" "+in.Request.Model, in.Findings, in.Usage, in.Time, g, w)
					}
				}
			}
			if differ > 0 {
				t.Errorf("%d of %d decisions differ", differ, len(ins))
			}
			t.Logf("%d decisions: %s", len(ins), refCounts(refOutcomes(t, ew, ins)))
		})
	}
}

// refPolicyCopy copies the policy modules of dir (tests left out) to a
// temporary directory, with data as its data.json.
func refPolicyCopy(t *testing.T, dir, data string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".rego") || strings.HasSuffix(path, "_test.rego") {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Join(dst, filepath.Dir(rel)), 0o755); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dst, "data.json"), []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return dst
}

func refEngineAt(t testing.TB, dir string, data map[string]any) *Engine {
	return refEngineOpts(t, Options{Dir: dir, Data: data})
}

// refRawDecision is the policy's result for in, as text, or its error.
func refRawDecision(t *testing.T, e *Engine, in *Input) string {
	t.Helper()
	st := e.cur.Load()
	input, err := in.toAST(&builder{names: st.strings}, newTimeTerm(in.Time))
	if err != nil {
		t.Fatal(err)
	}
	rs, err := st.query.Eval(context.Background(), rego.EvalParsedInput(policyvm.Plain(input).Value), rego.EvalTime(in.Time))
	switch {
	case err != nil:
		return "error: " + err.Error()
	case len(rs) == 0:
		return "undefined"
	}
	return fmt.Sprint(rs[0].Expressions[0].Value)
}

// refRichData switches on every knob of the reference policy, with tenant
// overrides, for the catalogue of refCatalogue.
const refRichData = `{"sluice": {"policy": {
  "roles": {"admin": ["all_models", "any_hour"], "viewer": ["list_only"], "ml-admin": ["all_models"]},
  "key_scopes": {"embeddings-only": ["embeddings", "models"], "chat-only": ["chat_completions", "models"]},
  "network": {"allow_cidrs": ["10.0.0.0/8", "2001:db8::/32", "bogus"], "deny_cidrs": ["10.66.0.0/16"]},
  "pii": {"block_types": ["CREDIT_CARD", "us_ssn", 7], "in_house_types": ["MEDICAL_RECORD"], "safe_model": "llama-house"},
  "injection": {"threshold": 0.7},
  "business_hours": {"model_labels": {"cost": "high"}, "days": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"],
    "start_hour": 7, "end_hour": 19},
  "residency": {"regions": ["eu"], "aliases": {"eu": {"gpt-4o": "azure-gpt-4o", "gpt-4o-mini": "azure-gpt-4o-mini",
    "claude-sonnet-4-5": "mistral-large", "o3": "gpt-5"}}},
  "budget": {"downgrade_below": 0.3, "cheaper": {"gpt-4o": "gpt-4o-mini", "azure-gpt-4o": "azure-gpt-4o-mini",
    "claude-opus-4": "claude-sonnet-4-5", "claude-sonnet-4-5": "bedrock-claude-haiku", "gpt-4o-mini": "gpt-4o-mini"}},
  "keyword_routes": [
    {"name": "code", "from": ["gpt-4o-mini", "azure-gpt-4o-mini"], "model": "gpt-4o",
     "keywords": ["code", "golang", "c++", "linked list", "stack trace", "", 3, "Upper"]},
    {"from": [], "model": "claude-sonnet-4-5", "keywords": ["poem", "story time"]},
    {"name": "eu", "model": "mistral-large", "keywords": ["bonjour"]}
  ],
  "splits": {
    "gpt-4o": {"sticky": "user", "targets": [{"model": "gpt-4o", "weight": 90}, {"model": "azure-gpt-4o", "weight": 10}]},
    "gpt-4o-mini": {"sticky": "tenant", "targets": [{"model": "gpt-4o-mini", "weight": 50},
      {"model": "azure-gpt-4o-mini", "weight": 50}, {"model": "mistral-small", "weight": 0}, {"model": "o3", "weight": 2.5}]},
    "claude-sonnet-4-5": {"sticky": "bogus", "targets": [{"model": "claude-sonnet-4-5", "weight": 1}, {"model": "bedrock-claude-haiku", "weight": 1}]}
  },
  "fallbacks": {"gpt-4o": ["azure-gpt-4o", "gpt-4o-mini", "gpt-4o"], "azure-gpt-4o": ["gpt-4o", "llama-house"],
    "gpt-4o-mini": ["gpt-4o", "llama-house", "mistral-small"], "llama-house": ["mistral-large"]},
  "tenants": {
    "tenant-001": {"injection": {"threshold": 0.3}, "network": {"allow_cidrs": ["10.1.0.0/16"], "deny_cidrs": ["10.1.3.0/24"]}},
    "tenant-002": {"splits": {"gpt-4o": {"targets": []}}, "fallbacks": {"gpt-4o": []}},
    "tenant-003": {"pii": {"block_types": ["EMAIL"], "in_house_types": [], "safe_model": "mistral-large"}},
    "tenant-004": {"budget": {"downgrade_below": 0.9}, "business_hours": {"days": ["Saturday", "Sunday"]}},
    "tenant-005": {"residency": {"regions": []}, "keyword_routes": []},
    "tenant-006": {"apis": ["models"], "roles": {"developer": ["list_only"]}, "key_scopes": {"chat-only": ["embeddings"]}},
    "tenant-007": "garbled",
    "ghost": {}
  }
}}}`

// refRandomInputs are n requests with every field drawn at random from
// values that exercise the reference policy's rules and their edges.
func refRandomInputs(n int) []*Input { return refRandomInputsFrom(n, 1, 2) }

// refRandomInputsFrom is refRandomInputs from another seed.
func refRandomInputsFrom(n int, seed1, seed2 uint64) []*Input {
	r := rand.New(rand.NewPCG(seed1, seed2))
	pick := func(s ...string) string { return s[r.IntN(len(s))] }
	var models []string
	for _, m := range refModels {
		models = append(models, m.name)
	}
	models = append(models, "claude", "gpt4o", "gpt-5", "")
	messages := []string{
		"", "Summarise the report.", "How do I reverse a linked list in Go?", "Why does this GOLANG stack-trace panic?",
		"¿golang", "c+ or c++?", "write me a poem", "story  time!", "bonjour", "codes and coding", "Upper case",
	}
	ins := make([]*Input, n)
	for i := range ins {
		now := time.Date(2026, 11, 16+r.IntN(7), r.IntN(24), r.IntN(60), 0, 0, time.UTC)
		var roles []string
		for _, role := range []string{"developer", "admin", "viewer", "ml-admin", "ghost"} {
			if r.IntN(4) == 0 {
				roles = append(roles, role)
			}
		}
		labels := map[string]string{}
		if r.IntN(10) == 0 {
			labels["scope"] = pick("embeddings-only", "chat-only", "bogus")
		}
		in := &Input{
			Identity: Identity{
				Authenticated: r.IntN(20) != 0,
				Source:        pick("api_key", "jwt", "mtls", "header", "anonymous"),
				Subject:       "key:k" + strconv.Itoa(i),
				Tenant: pick(refTenantName(r.IntN(12)), refTenantName(r.IntN(12)), refTenantName(r.IntN(refTenants)),
					refTenantName(r.IntN(refTenants)), refTenantName(r.IntN(refTenants)), "", "nobody"),
				Team:   pick(append(refTeams, "", "ghost")...),
				User:   pick("", "alice@example.com"),
				Roles:  roles,
				Labels: labels,
			},
			Request: Request{
				ID: "req-" + strconv.Itoa(i), API: pick("chat_completions", "chat_completions", "embeddings", "models",
					"anthropic_messages", "prompt", "images"),
				Method: "POST", Model: pick(models...), LastUserMessage: pick(messages...),
			},
			Source: Source{Address: pick("10.1.2.3", "10.1.2.3", "10.1.2.3", "10.1.2.3", "10.1.2.3", "10.2.0.1", "10.1.3.4",
				"10.66.1.1", "192.0.2.7", "2001:db8::1", "", "not-an-ip")},
			RouteName: "sluice",
			Findings:  Findings{Injection: Injection{Score: float64(r.IntN(11)) / 10 * float64(r.IntN(2))}},
			Time:      now,
		}
		for _, p := range []string{"EMAIL", "CREDIT_CARD", "us_ssn", "MEDICAL_RECORD", "medical_record"} {
			if r.IntN(8) == 0 {
				in.Findings.PII.Types = append(in.Findings.PII.Types, p)
			}
		}
		switch r.IntN(4) {
		case 0:
		case 1:
			in.Usage = map[string]any{"budget": map[string]any{"remaining_fraction": float64(r.IntN(11)) / 10}}
		default:
			in.Usage = map[string]any{"budget": map[string]any{"remaining_fraction": 0.05}}
		}
		if in.Identity.Source == "api_key" {
			keyLabels := map[string]string{}
			if r.IntN(10) == 0 {
				keyLabels["scope"] = pick("embeddings-only", "chat-only", "bogus")
			}
			in.Identity.Key = &Key{ID: "k" + strconv.Itoa(i), Expired: r.IntN(30) == 0, Labels: keyLabels}
			switch r.IntN(6) {
			case 0:
				in.Identity.Key.ExpiresAt = now.Add(-time.Hour)
			case 1:
				in.Identity.Key.ExpiresAt = now.Add(time.Hour)
			}
		}
		ins[i] = in
	}
	return ins
}
