package e2e

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tidwall/gjson"

	"github.com/sluice-gw/sluice/pkg/audit"
)

// The audit trail: one record per request however it ends (allowed,
// denied by policy, a provider error, a stream), with who, what and how
// it ended, never the prompt's personal data or secrets (even with masked
// payload capture on); and a chain that `sluice audit verify` accepts.
func TestAudit(t *testing.T) {
	t.Parallel()
	k, c := newTenancy(t)
	path := filepath.Join(t.TempDir(), "audit", "audit.jsonl")
	// Full detail with payload capture: the strictest test that nothing
	// raw reaches the trail.
	c.sections = map[string]any{"audit": map[string]any{
		"file": map[string]any{"path": path}, "default_level": "full", "payload": map[string]any{"enabled": true},
	}}
	e := newEnv(t, withConfig(c))
	e.fakes.Forbid(k.acme.key, k.globex.key, k.viewer.key, k.expired.key)
	// What a careless prompt carries: an email address and a cloud key.
	const email, secret = "jane.doe@example.com", "AKIAIOSFODNN7EXAMPLE"
	cases := []struct {
		name, model string
		key         keyRecord
		stream      bool
		status      int
		check       func(t *testing.T, r gjson.Result)
	}{
		{name: "allowed", model: "gpt-4o", key: k.acme, status: 200, check: func(t *testing.T, r gjson.Result) {
			want(t, r, "decision.allow", "true")
			want(t, r, "backend", "openai")
			want(t, r, "model.served", "gpt-4o")
			if p := r.Get("payload").Str; !strings.Contains(p, "<EMAIL_ADDRESS>") || !strings.Contains(p, "<AWS_ACCESS_KEY>") {
				t.Errorf("payload = %q, want the prompt with its email and key masked", p)
			}
			if r.Get("tokens.input").Int() <= 0 || r.Get("tokens.output").Int() <= 0 {
				t.Errorf("tokens = %s, want the provider's usage", r.Get("tokens").Raw)
			}
		}},
		{name: "stream", model: "gpt-4o", key: k.acme, stream: true, status: 200, check: func(t *testing.T, r gjson.Result) {
			want(t, r, "decision.allow", "true")
			if r.Get("ttft_ms").Float() <= 0 {
				t.Errorf("ttft_ms = %s, want the time to the first byte", r.Get("ttft_ms").Raw)
			}
		}},
		{name: "denied by policy", model: "claude", key: k.acme, status: 403, check: func(t *testing.T, r gjson.Result) {
			want(t, r, "decision.allow", "false")
			want(t, r, "decision.status", "403")
			want(t, r, "decision.reasons.0", "tenant_model_allowlist")
			want(t, r, "error", "policy_denied")
		}},
		{name: "provider error", model: "openai-fault-500", key: clientKeyRecord(), status: 502, check: func(t *testing.T, r gjson.Result) {
			want(t, r, "decision.allow", "true")
			want(t, r, "tenant", "e2e")
			want(t, r, "error", "upstream_error")
			if r.Get("tokens").Exists() {
				t.Errorf("tokens = %s: an error answer used none", r.Get("tokens").Raw)
			}
		}},
	}
	ids := map[string]string{}
	for _, tc := range cases {
		id := newRequestID()
		ids[tc.name] = id
		body := chatBody(t, tc.model, newMarker()+" mail "+email+" key "+secret, tc.stream)
		r := e.doAs(t, "POST", "/v1/chat/completions", body, merge(tc.key.bearer(), headers("x-request-id", id)))
		if r.status != tc.status {
			t.Fatalf("%s: status %d, want %d; body %s", tc.name, r.status, tc.status, r.body)
		}
	}
	// A clean stop flushes the queue and ends the segment.
	e.sluice.stop(t)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, leak := range []string{email, secret, k.acme.key, clientKey, k.acme.Hash} {
		if bytes.Contains(data, []byte(leak)) {
			t.Errorf("the audit file contains %q", leak)
		}
	}
	if testing.Verbose() {
		t.Logf("audit file:\n%s", data)
	}
	records := byRequestID(data)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rs := records[ids[tc.name]]
			if len(rs) != 1 {
				t.Fatalf("%d records for request %s, want 1\n%s", len(rs), ids[tc.name], data)
			}
			r := rs[0]
			want(t, r, "type", "request")
			want(t, r, "api", "chat_completions")
			want(t, r, "model.requested", tc.model)
			want(t, r, "identity.key_id", tc.key.ID)
			want(t, r, "status", strconv.Itoa(tc.status))
			if r.Get("decision_id").Str == "" {
				t.Error("no decision_id")
			}
			if _, err := time.Parse(time.RFC3339Nano, r.Get("time").Str); err != nil {
				t.Errorf("time %q: %v", r.Get("time").Str, err)
			}
			if r.Get("latency_ms").Float() <= 0 {
				t.Errorf("latency_ms = %s", r.Get("latency_ms").Raw)
			}
			tc.check(t, r)
		})
	}
	rep, err := audit.VerifyPaths([]string{filepath.Dir(path)}, audit.VerifyOptions{})
	if err != nil || !rep.Ended || rep.Requests != len(cases) {
		t.Errorf("verify: %+v, %v; want %d requests and an end record", rep, err, len(cases))
	}
	out, err := exec.Command(sluiceBin, "audit", "verify", path).CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "ok:") {
		t.Errorf("sluice audit verify %s: %v\n%s", path, err, out)
	}
}

// byRequestID groups the request records of an audit file.
func byRequestID(data []byte) map[string][]gjson.Result {
	out := map[string][]gjson.Result{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		r := gjson.ParseBytes(sc.Bytes())
		if r.Get("type").Str == audit.TypeRequest {
			id := r.Get("request_id").Str
			out[id] = append(out[id], r)
		}
	}
	return out
}

func want(t *testing.T, r gjson.Result, path, value string) {
	t.Helper()
	if got := r.Get(path).String(); got != value {
		t.Errorf("%s = %q, want %q", path, got, value)
	}
}
