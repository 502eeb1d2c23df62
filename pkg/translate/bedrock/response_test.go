package bedrock

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/sluice-gw/sluice/pkg/gwerror"
	"github.com/sluice-gw/sluice/pkg/translate"
)

func chatRequest() *translate.Request {
	return &translate.Request{Op: translate.Chat, Body: []byte(`{"model":"claude-alias","messages":[]}`)}
}

func TestResponseGolden(t *testing.T) {
	for _, name := range fixtures(t, "response", ".json") {
		t.Run(filepath.Base(name), func(t *testing.T) {
			body, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := fixedTranslator().Response(chatRequest(), body)
			if err != nil {
				t.Fatalf("Response: %v", err)
			}
			got := append(indent(t, resp.Body), fmt.Sprintf("\nusage: %+v\n", resp.Usage)...)
			golden(t, goldenPath(name), got)
		})
	}
}

func TestResponseMalformed(t *testing.T) {
	for name, body := range map[string]string{
		"not json":        `{"output":`,
		"no message":      `{"stopReason":"end_turn"}`,
		"tool use no id":  `{"output":{"message":{"content":[{"toolUse":{"name":"f","input":{}}}]}}}`,
		"message not obj": `{"output":{"message":"hi"}}`,
	} {
		_, err := New().Response(chatRequest(), []byte(body))
		if !errors.Is(err, gwerror.New(gwerror.UpstreamError, "")) {
			t.Errorf("%s: err = %v, want upstream_error", name, err)
		}
	}
}
