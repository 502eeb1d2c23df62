package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tidwall/gjson"
)

// realPolicyDir is the reference policy as it ships: policies/sluice.
func realPolicyDir() string { return filepath.Join(repoRoot, "policies", "sluice") }

// policyAt is a policy section for the policy in dir, with extra fields
// (mode, data, ...).
func policyAt(dir string, extra map[string]any) map[string]any {
	p := map[string]any{"dir": dir}
	for k, v := range extra {
		p[k] = v
	}
	return p
}

// policyCopy copies the reference policy to a directory of its own, with
// knobs merged into its data.sluice.policy (see setPolicyKnobs). The Rego
// is the shipped files; only the data a security team would tune differs.
func policyCopy(t *testing.T, knobs map[string]any) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "policy")
	if err := os.CopyFS(dir, os.DirFS(realPolicyDir())); err != nil {
		t.Fatalf("copying the reference policy: %v", err)
	}
	if knobs != nil {
		setPolicyKnobs(t, dir, knobs)
	}
	return dir
}

// setPolicyKnobs rewrites dir/data.json as the reference policy's
// data.json with knobs merged into data.sluice.policy: objects merge key by
// key, anything else replaces. The file is replaced by a rename, so a
// reload never reads it half-written.
func setPolicyKnobs(t *testing.T, dir string, knobs map[string]any) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(realPolicyDir(), "data.json"))
	if err != nil {
		t.Fatal(err)
	}
	var data map[string]any
	if err := json.Unmarshal(raw, &data); err != nil {
		t.Fatalf("policies/sluice/data.json: %v", err)
	}
	sluice, _ := data["sluice"].(map[string]any)
	policy, _ := sluice["policy"].(map[string]any)
	if policy == nil {
		t.Fatal("policies/sluice/data.json has no sluice.policy object")
	}
	mergeInto(policy, knobs)
	out, err := json.MarshalIndent(data, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	writeAtomically(t, filepath.Join(dir, "data.json"), out)
}

func mergeInto(dst, src map[string]any) {
	for k, v := range src {
		d, dok := dst[k].(map[string]any)
		s, sok := v.(map[string]any)
		if dok && sok {
			mergeInto(d, s)
			continue
		}
		dst[k] = v
	}
}

// writeAtomically writes a hidden temporary file beside path (the policy
// loader skips hidden files) and renames it over path.
func writeAtomically(t *testing.T, path string, data []byte) {
	t.Helper()
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// decision waits for the decision log entry of decision id and returns it.
// The log is written on its own goroutine, after the response.
func (e *env) decision(t *testing.T, id string) gjson.Result {
	t.Helper()
	if e.decisionLog == "" {
		t.Fatal("the environment has no decision log: start it withDecisionLog()")
	}
	if id == "" {
		t.Fatal("no decision id to look up")
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if d, ok := findDecision(t, e.decisionLog, id); ok {
			return d
		}
		if time.Now().After(deadline) {
			t.Fatalf("decision %s is not in the decision log", id)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func findDecision(t *testing.T, path, id string) (gjson.Result, bool) {
	t.Helper()
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return gjson.Result{}, false
	}
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if gjson.GetBytes(line, "decision_id").String() == id {
			return gjson.ParseBytes(bytes.Clone(line)), true
		}
	}
	return gjson.Result{}, false
}
