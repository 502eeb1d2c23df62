package e2e

import (
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tidwall/gjson"

	fp "github.com/sluice-gw/sluice/e2e/fakeprovider"
)

// Anonymous callers: 401 from Sluice unless identity.allow_anonymous lets
// them through to policy; there 401 from the reference policy, unless the
// development allowance (policy.data.dev_anonymous_mock, read as
// data.sluice.config.dev_anonymous_mock) admits them, to the mock model
// only.
func TestAnonymous(t *testing.T) {
	t.Parallel()
	t.Run("not allowed", func(t *testing.T) {
		t.Parallel()
		_, c := newTenancy(t)
		e := newEnv(t, withConfig(c))
		marker := newMarker()
		r := e.doAs(t, "POST", "/v1/chat/completions", chatBody(t, "gpt-4o", marker, false), nil)
		got := checkOpenAIError(t, r, http.StatusUnauthorized)
		if code := got.Get("code").String(); code != "invalid_api_key" {
			t.Errorf("error.code = %q, want invalid_api_key", code)
		}
		e.noUpstream(t, marker)
	})
	t.Run("let through to policy", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, withConfig(configOptions{
			identity: map[string]any{"allow_anonymous": true},
			mock:     true,
			policy:   policyAt(realPolicyDir(), nil),
		}))
		for _, model := range []string{mockModel, "gpt-4o"} {
			marker := newMarker()
			r := e.doAs(t, "POST", "/v1/chat/completions", chatBody(t, model, marker, false), nil)
			checkDenial(t, r, http.StatusUnauthorized, "authentication required")
			e.noUpstream(t, marker)
		}
	})
	t.Run("dev_anonymous_mock", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, withConfig(configOptions{
			identity: map[string]any{"allow_anonymous": true},
			mock:     true,
			policy:   policyAt(realPolicyDir(), map[string]any{"data": map[string]any{"dev_anonymous_mock": true}}),
		}))
		marker := newMarker()
		r := e.doAs(t, "POST", "/v1/chat/completions", chatBody(t, mockModel, marker, false), nil)
		if r.status != http.StatusOK {
			t.Fatalf("anonymous %s: status = %d, want 200; body: %s", mockModel, r.status, r.body)
		}
		if got := gjson.GetBytes(r.body, "choices.0.message.content").String(); got != fp.ReplyText {
			t.Errorf("content = %q, want %q", got, fp.ReplyText)
		}
		if up := e.upstream(t, fp.BackendOpenAI, marker); gjson.GetBytes(up.Body, "model").String() != mockModel {
			t.Errorf("the mock backend was asked for %q, want %q", gjson.GetBytes(up.Body, "model").String(), mockModel)
		}

		marker = newMarker()
		r = e.doAs(t, "POST", "/v1/chat/completions", chatBody(t, "gpt-4o", marker, false), nil)
		checkDenial(t, r, http.StatusUnauthorized, "model gpt-4o requires authentication")
		e.noUpstream(t, marker)

		r = e.doAs(t, "GET", "/v1/models", "", nil)
		if diff := cmp.Diff([]string{mockModel}, modelIDs(t, r)); diff != "" {
			t.Errorf("anonymous GET /v1/models (-want +got):\n%s", diff)
		}

		marker = newMarker()
		if r := e.post(t, "/v1/chat/completions", chatBody(t, "gpt-4o", marker, false)); r.status != http.StatusOK {
			t.Errorf("with a key: status = %d, want 200; body: %s", r.status, r.body)
		}
	})
}
