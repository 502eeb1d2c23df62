package audit

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tidwall/gjson"

	"github.com/sluice-gw/sluice/pkg/config"
	"github.com/sluice-gw/sluice/pkg/pipeline"
	"github.com/sluice-gw/sluice/pkg/policy"
)

func loadConfig(t *testing.T, audit string) *config.Snapshot {
	t.Helper()
	src := "backends:\n  - name: openai\n    provider: openai\n    credential: {env: OPENAI_API_KEY}\n" +
		"models:\n  - name: gpt-4o\n    backend: openai\n" + audit
	snap, err := config.Parse("sluice.yaml", []byte(src), config.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

// The stage's record runs after every AtEnd registered later (account
// settling the cost), at the level the policy chose, with the payload
// masked only at full level.
func TestStage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	snap := loadConfig(t, "audit:\n  default_level: minimal\n  file: {path: "+path+"}\n  payload: {enabled: true, max_bytes: 200}\n")
	s := NewStage(slog.New(slog.DiscardHandler))
	if err := s.Reload(context.Background(), snap); err != nil {
		t.Fatal(err)
	}
	body := []byte(`{"messages":[{"role":"user","content":"mail jane.doe@example.com"}]}`)
	for _, tc := range []struct{ id, level string }{{"r-default", ""}, {"r-full", "full"}, {"r-standard", "standard"}} {
		x := &pipeline.Exchange{RequestID: tc.id, Config: snap, Decision: &policy.Decision{Allow: true, Audit: tc.level}}
		x.Request.Body = body
		if err := s.OnRequestHeaders(context.Background(), x); err != nil {
			t.Fatal(err)
		}
		x.AtEnd(func(context.Context) { x.Outcome.CostMicros, x.Outcome.Priced = 99, true })
		x.End(context.Background())
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	recs := map[string]gjson.Result{}
	for line := range strings.Lines(string(data)) {
		if r := gjson.Parse(line); r.Get("type").Str == TypeRequest {
			recs[r.Get("request_id").Str] = r
		}
	}
	for id, want := range map[string]string{"r-default": "minimal", "r-full": "full", "r-standard": "standard"} {
		if got := recs[id].Get("level").Str; got != want {
			t.Errorf("%s: level %q, want %q", id, got, want)
		}
	}
	if got := recs["r-standard"].Get("cost_micros").Int(); got != 99 {
		t.Errorf("cost_micros = %d: the record was built before a later AtEnd settled the cost", got)
	}
	if p := recs["r-full"].Get("payload").Str; !strings.Contains(p, "mail <EMAIL_ADDRESS>") {
		t.Errorf("full record payload %q, want the masked request", p)
	}
	if recs["r-standard"].Get("payload").Exists() || strings.Contains(string(data), "jane.doe") {
		t.Errorf("payload outside full level, or a raw email in the trail:\n%s", data)
	}
	if _, err := VerifyPaths([]string{path}, VerifyOptions{}); err != nil {
		t.Error(err)
	}
}

func TestOpenRefusesUnreadableKey(t *testing.T) {
	snap := loadConfig(t, "audit:\n  stdout: true\n  hmac_key_env: SLUICE_TEST_AUDIT_KEY\n")
	if _, err := Open(context.Background(), snap.Audit, nil); err == nil || !strings.Contains(err.Error(), "refusing") {
		t.Errorf("Open with an unread HMAC key: %v, want a refusal", err)
	}
}
