package gemini

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluice-gw/sluice/pkg/gwerror"
	"github.com/sluice-gw/sluice/pkg/translate"
	"github.com/sluice-gw/sluice/pkg/translate/translatetest"
)

// responseRequest is the client request a response fixture answers.
func responseRequest(name string) *translate.Request {
	base := filepath.Base(name)
	switch {
	case strings.HasPrefix(base, "embed_base64"):
		return &translate.Request{Op: translate.Embeddings, Body: []byte(`{"model":"text-embedding-004","input":["a","b"],"encoding_format":"base64"}`)}
	case strings.HasPrefix(base, "embed"):
		return &translate.Request{Op: translate.Embeddings, Body: []byte(`{"model":"text-embedding-004","input":["a","b"]}`)}
	}
	return &translate.Request{Op: translate.Chat, Body: []byte(`{"model":"my-alias","messages":[]}`)}
}

func TestResponseGolden(t *testing.T) {
	for _, name := range translatetest.Glob(t, "testdata/response/*.json") {
		t.Run(filepath.Base(name), func(t *testing.T) {
			resp, err := fixedTranslator().Response(responseRequest(name), translatetest.ReadFile(t, name))
			if err != nil {
				t.Fatalf("Response: %v", err)
			}
			got := append(translatetest.Indent(t, resp.Body), fmt.Sprintf("\nusage: %+v\n", resp.Usage)...)
			translatetest.Golden(t, translatetest.GoldenPath(name), got)
		})
	}
}

func TestResponseMalformed(t *testing.T) {
	tests := []struct {
		name, body string
		code       gwerror.Code
	}{
		{"not json", `{"candidates":`, gwerror.UpstreamError},
		{"no candidates", `{"usageMetadata":{}}`, gwerror.UpstreamError},
		{"nameless call", `{"candidates":[{"content":{"parts":[{"functionCall":{"args":{}}}]}}]}`, gwerror.UpstreamError},
		{"args not object", `{"candidates":[{"content":{"parts":[{"functionCall":{"name":"f","args":[1]}}]}}]}`, gwerror.UpstreamError},
		{"error body", `{"error":{"code":429,"message":"slow down","status":"RESOURCE_EXHAUSTED"}}`, gwerror.RateLimited},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New().Response(responseRequest("chat"), []byte(tc.body))
			var ge *gwerror.Error
			if !errors.As(err, &ge) || ge.Code != tc.code {
				t.Errorf("err = %v, want code %s", err, tc.code)
			}
		})
	}
	for _, body := range []string{`{}`, `{"embeddings":[{"values":1}]}`, `nope`} {
		_, err := New().Response(responseRequest("embed"), []byte(body))
		if !errors.Is(err, gwerror.New(gwerror.UpstreamError, "")) {
			t.Errorf("embeddings %s: err = %v, want upstream_error", body, err)
		}
	}
}
