package e2e

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/tidwall/gjson"

	fp "github.com/sluice-gw/sluice/e2e/fakeprovider"
)

// decisionHeader carries the policy decision id to the client.
const decisionHeader = "X-Sluice-Decision-Id"

// checkDenial asserts a policy deny: status, OpenAI's error shape, the
// policy's reason as the message, and the decision id.
func checkDenial(t *testing.T, r rawResponse, status int, reason string) {
	t.Helper()
	got := checkOpenAIError(t, r, status)
	if msg := got.Get("message").String(); msg != reason {
		t.Errorf("error.message = %q, want the policy's reason %q", msg, reason)
	}
	if code := got.Get("code").String(); code != "policy_denied" {
		t.Errorf("error.code = %q, want policy_denied", code)
	}
	if r.header.Get(decisionHeader) == "" {
		t.Errorf("a deny without %s", decisionHeader)
	}
}

// The reference policy's denials as the client sees them, and the
// decision id on every answer, allowed or not, matching the decision log.
func TestPolicyDenials(t *testing.T) {
	t.Parallel()
	e, k := newTenancyEnv(t)
	cases := []struct {
		name    string
		key     keyRecord
		model   string
		stream  bool
		status  int
		reason  string
		reasons []string // the decision log's rule ids
	}{
		{name: "allowed", key: k.acme, model: "gpt-4o", status: 200, reasons: []string{"allow"}},
		{name: "allowed stream", key: k.acme, model: "gpt-4o", stream: true, status: 200, reasons: []string{"allow"}},
		{name: "allowed by alias", key: k.globex, model: claudeAlias, status: 200, reasons: []string{"allow"}},
		{name: "model not in the tenant allowlist", key: k.acme, model: "claude", status: 403,
			reason: "model claude is not allowed for tenant acme", reasons: []string{"tenant_model_allowlist"}},
		{name: "alias not in the tenant allowlist", key: k.acme, model: claudeAlias, status: 403,
			reason: "model claude is not allowed for tenant acme", reasons: []string{"tenant_model_allowlist"}},
		{name: "model not in the allowlist, streamed", key: k.globex, model: "gpt-4o", stream: true, status: 403,
			reason: "model gpt-4o is not allowed for tenant globex", reasons: []string{"tenant_model_allowlist"}},
		{name: "expired key", key: k.expired, model: "gpt-4o", status: 401,
			reason: "API key expired", reasons: []string{"key_expired"}},
		// Allowed, and then the provider fails: the answer is the
		// provider's error, and it still names the decision.
		{name: "allowed, the provider answers 429", key: clientKeyRecord(), model: "openai-fault-429", status: 429,
			reasons: []string{"allow"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			marker := newMarker()
			r := e.doAs(t, "POST", "/v1/chat/completions", chatBody(t, c.model, marker, c.stream), c.key.bearer())
			id := r.header.Get(decisionHeader)
			switch {
			case c.reason != "":
				checkDenial(t, r, c.status, c.reason)
				e.noUpstream(t, marker)
			case r.status != c.status:
				t.Fatalf("status = %d, want %d; body: %s", r.status, c.status, r.body)
			case id == "":
				t.Errorf("an allowed request answered %d without %s", r.status, decisionHeader)
			}
			if id == "" {
				return
			}
			d := e.decision(t, id)
			var reasons []string
			for _, r := range d.Get("result.reasons").Array() {
				reasons = append(reasons, r.String())
			}
			if diff := cmp.Diff(c.reasons, reasons); diff != "" {
				t.Errorf("decision log reasons (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("sdk", func(t *testing.T) {
		t.Parallel()
		var resp *http.Response
		client := openai.NewClient(option.WithBaseURL(e.baseURL+"/v1/"), option.WithAPIKey(k.acme.key),
			option.WithMaxRetries(0), option.WithHTTPClient(e.http))
		_, err := client.Chat.Completions.New(ctxFor(t), openai.ChatCompletionNewParams{
			Model:    "claude",
			Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi " + newMarker())},
		}, option.WithResponseInto(&resp))
		apiErr := sdkError(t, err, http.StatusForbidden)
		if apiErr.Code != "policy_denied" || apiErr.Message != "model claude is not allowed for tenant acme" {
			t.Errorf("SDK error code %q, message %q; want policy_denied and the policy's reason", apiErr.Code, apiErr.Message)
		}
		if resp == nil || resp.Header.Get(decisionHeader) == "" {
			t.Errorf("the SDK's response has no %s", decisionHeader)
		}
	})
}

// sdkError asserts err is the SDK's API error with status.
func sdkError(t *testing.T, err error, status int) *openai.Error {
	t.Helper()
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) {
		t.Fatalf("err = %v, want an API error with status %d", err, status)
	}
	if apiErr.StatusCode != status {
		t.Errorf("status = %d, want %d: %s", apiErr.StatusCode, status, apiErr.RawJSON())
	}
	return apiErr
}

// In dry-run mode a request the policy denies goes through, and Sluice's
// log and the decision log both say it would have been denied.
func TestPolicyDryRun(t *testing.T) {
	t.Parallel()
	k, c := newTenancy(t)
	c.policy = policyAt(realPolicyDir(), map[string]any{"mode": "dry_run"})
	e := newEnv(t, withConfig(c), withDecisionLog())
	e.fakes.Forbid(k.acme.key)
	marker := newMarker()
	r := e.doAs(t, "POST", "/v1/chat/completions", chatBody(t, "claude", marker, false), k.acme.bearer())
	if r.status != http.StatusOK {
		t.Fatalf("status = %d, want 200 (dry run); body: %s", r.status, r.body)
	}
	if got := gjson.GetBytes(r.body, "choices.0.message.content").String(); got != fp.ReplyText {
		t.Errorf("content = %q, want %q", got, fp.ReplyText)
	}
	e.upstream(t, fp.BackendAnthropic, marker)
	id := r.header.Get(decisionHeader)
	if id == "" {
		t.Fatalf("no %s header", decisionHeader)
	}
	line := e.sluice.waitLog(t, func(l gjson.Result) bool {
		return l.Get("decision_id").String() == id && strings.Contains(l.Get("msg").String(), "would be denied")
	})
	if got := line.Get("reason").String(); got != "model claude is not allowed for tenant acme" {
		t.Errorf("dry-run log reason = %q, want the policy's reason; line: %s", got, line.Raw)
	}
	d := e.decision(t, id)
	if got := d.Get("custom.outcome").String(); got != "dry_run_deny" {
		t.Errorf("decision log outcome = %q, want dry_run_deny", got)
	}
	if got := d.Get("custom.mode").String(); got != "dry_run" {
		t.Errorf("decision log mode = %q, want dry_run", got)
	}
	if got := d.Get("result.allow"); got.Type != gjson.False {
		t.Errorf("decision log result.allow = %s, want the policy's false", got.Raw)
	}
}

// GET /v1/models lists what each caller may use: two tenants with
// different allowlists see different lists, in config order with aliases;
// a tenant without one sees every model.
func TestModelsPerCaller(t *testing.T) {
	t.Parallel()
	e, k := newTenancyEnv(t)
	cases := []struct {
		name string
		key  keyRecord
		want []string
	}{
		{"acme", k.acme, acmeModels},
		{"globex", k.globex, []string{"claude", claudeAlias}},
		{"viewer", k.viewer, acmeModels},
		{"no allowlist", clientKeyRecord(), publicModels()},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			client := openai.NewClient(option.WithBaseURL(e.baseURL+"/v1/"), option.WithAPIKey(c.key.key),
				option.WithMaxRetries(0), option.WithHTTPClient(e.http))
			var resp *http.Response
			page, err := client.Models.List(ctxFor(t), option.WithResponseInto(&resp))
			if err != nil {
				t.Fatalf("models: %v", describe(err))
			}
			// The list is the policy's decision too (decision.models).
			if resp.Header.Get(decisionHeader) == "" {
				t.Errorf("GET /v1/models answered without %s", decisionHeader)
			}
			var got []string
			for _, m := range page.Data {
				got = append(got, m.ID)
			}
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("GET /v1/models (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("one model outside the allowlist", func(t *testing.T) {
		t.Parallel()
		r := e.doAs(t, "GET", "/v1/models/claude", "", k.acme.bearer())
		checkOpenAIError(t, r, http.StatusNotFound)
	})
}

// modelIDs reads the ids of a GET /v1/models answer.
func modelIDs(t *testing.T, r rawResponse) []string {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("GET /v1/models: status = %d, want 200; body: %s", r.status, r.body)
	}
	var ids []string
	for _, m := range gjson.GetBytes(r.body, "data").Array() {
		ids = append(ids, m.Get("id").String())
	}
	return ids
}
