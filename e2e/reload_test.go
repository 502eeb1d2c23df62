package e2e

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tidwall/gjson"
)

// The policy directory is watched: a data change applies without a
// restart, a broken .rego file is rejected while the last good policy
// keeps serving, and the fixed file applies.
func TestPolicyHotReload(t *testing.T) {
	t.Parallel()
	acme := newKey(t, keyRecord{Name: "acme", Tenant: "acme"})
	dir := policyCopy(t, nil)
	e := newEnv(t, withConfig(configOptions{
		keys:    []keyRecord{acme},
		tenants: []map[string]any{{"name": "acme"}},
		policy:  policyAt(dir, nil),
	}))
	e.fakes.Forbid(acme.key)
	const disabled = "the chat_completions API is not enabled"
	status := func(t *testing.T) (int, string) {
		t.Helper()
		r := e.doAs(t, "POST", "/v1/chat/completions", chatBody(t, "gpt-4o", newMarker(), false), acme.bearer())
		return r.status, gjson.GetBytes(r.body, "error.message").String()
	}
	if got, msg := status(t); got != http.StatusOK {
		t.Fatalf("before any change: status %d (%s), want 200", got, msg)
	}

	// A knob of the tenant's: acme may only list models.
	setPolicyKnobs(t, dir, map[string]any{"tenants": map[string]any{"acme": map[string]any{"apis": []string{"models"}}}})
	waitFor(t, "the data change to deny", func() bool {
		got, msg := status(t)
		return got == http.StatusForbidden && msg == disabled
	})

	// Break a rule file and revert the knob at once: the broken policy is
	// rejected as a whole, so the deny stays.
	rules := filepath.Join(dir, "access", "access.rego")
	good, err := os.ReadFile(rules)
	if err != nil {
		t.Fatal(err)
	}
	rejected := func(l gjson.Result) bool {
		return l.Get("msg").String() == "policy reload rejected; keeping the last good policy"
	}
	before := e.sluice.countLog(rejected)
	writeAtomically(t, rules, append(append([]byte(nil), good...), "\ndeny contains {\n"...))
	setPolicyKnobs(t, dir, nil)
	waitFor(t, "the broken policy to be rejected", func() bool { return e.sluice.countLog(rejected) > before })
	if l, _ := e.sluice.findLog(rejected); !strings.Contains(l.Get("err").String(), "access.rego") {
		t.Errorf("the rejection does not name the broken file: %s", l.Raw)
	}
	for range 3 {
		if got, msg := status(t); got != http.StatusForbidden || msg != disabled {
			t.Fatalf("with a broken rule file: status %d (%s), want the last good policy's 403 (%s)", got, msg, disabled)
		}
	}

	// The fixed file loads, with the reverted knob.
	writeAtomically(t, rules, good)
	waitFor(t, "the fixed policy to allow", func() bool {
		got, _ := status(t)
		return got == http.StatusOK
	})
}

// waitFor polls cond for up to 10 seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
