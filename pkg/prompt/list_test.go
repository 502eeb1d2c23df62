package prompt

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sluice-gw/sluice/pkg/identity"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.json from the current output")

// TestListGolden pins the shape of GET /v1/prompts for a caller who may
// see every template.
func TestListGolden(t *testing.T) {
	s, snap := loadStage(t, "testdata/sluice.yaml")
	x, err := run(t, s, snap, "GET", "/v1/prompts", "", &identity.Identity{Tenant: "acme", Roles: []string{"admin"}})
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if err := json.Indent(&got, x.Reply.Body, "", "  "); err != nil {
		t.Fatal(err)
	}
	got.WriteByte('\n')
	const golden = "testdata/list.golden.json"
	if *update {
		if err := os.WriteFile(golden, got.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if diff := cmp.Diff(string(want), got.String()); diff != "" {
		t.Errorf("GET /v1/prompts (-%s +got):\n%s", golden, diff)
	}
}
