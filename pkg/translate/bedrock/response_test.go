package bedrock

import (
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/sluice-gw/sluice/pkg/gwerror"
	"github.com/sluice-gw/sluice/pkg/translate"
	"github.com/sluice-gw/sluice/pkg/translate/translatetest"
)

func chatRequest() *translate.Request {
	return &translate.Request{Op: translate.Chat, Body: []byte(`{"model":"claude-alias","messages":[]}`)}
}

func TestResponseGolden(t *testing.T) {
	for _, name := range translatetest.Glob(t, "testdata/response/*.json") {
		t.Run(filepath.Base(name), func(t *testing.T) {
			resp, err := fixedTranslator().Response(chatRequest(), translatetest.ReadFile(t, name))
			if err != nil {
				t.Fatalf("Response: %v", err)
			}
			got := append(translatetest.Indent(t, resp.Body), fmt.Sprintf("\nusage: %+v\n", resp.Usage)...)
			translatetest.Golden(t, translatetest.GoldenPath(name), got)
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
