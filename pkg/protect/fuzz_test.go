package protect

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/sluice-gw/sluice/pkg/pipeline"
)

// FuzzProtect sends arbitrary text through both stages with every
// rewriting action on: nothing panics, the body stays valid JSON and the
// canary is planted.
func FuzzProtect(f *testing.F) {
	for _, s := range []string{"mail " + email, awsKey + "\u200b" + email, "\U000E0041\xff<EMAIL_ADDRESS_1>", "4111 1111 1111 1111 and 536-22-1234"} {
		f.Add(s)
	}
	s, snap := newState(&testing.T{}, "  pii_action: pseudonymize\n  secret_action: hash\n  hash_key: {env: HK}\n  strip_invisible: true\n  canary: {enabled: true}\n")
	f.Fuzz(func(t *testing.T, text string) {
		x := exchange(snap, pipeline.APIChat, chat(text), "acme")
		if !json.Valid(x.Request.Body) {
			return
		}
		in, red := s.Stages()
		if err := in.OnRequest(context.Background(), x); err != nil {
			t.Fatal(err)
		}
		if err := red.OnRequest(context.Background(), x); err != nil {
			t.Fatal(err)
		}
		x.End(context.Background())
		if !json.Valid(x.Request.Body) {
			t.Fatalf("invalid JSON upstream: %s", x.Request.Body)
		}
		if x.Protect.Canary == "" {
			t.Error("no canary")
		}
	})
}
