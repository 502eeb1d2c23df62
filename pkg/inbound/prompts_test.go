package inbound

import (
	"testing"

	"github.com/sluice-gw/sluice/pkg/gwerror"
	"github.com/sluice-gw/sluice/pkg/pipeline"
)

func TestIdentifyPrompts(t *testing.T) {
	for _, tc := range []struct {
		method, path string
		api          pipeline.API
		code         gwerror.Code
	}{
		{"GET", "/v1/prompts", pipeline.APIPrompts, ""},
		{"POST", "/v1/prompts/support", pipeline.APIPrompt, ""},
		{"POST", "/v1/prompts/support/versions/2?x=1", pipeline.APIPrompt, ""},
		{"POST", "/v1/prompts", 0, gwerror.MethodNotAllowed},
		{"GET", "/v1/prompts/support", 0, gwerror.MethodNotAllowed},
		{"POST", "/v1/prompts/", 0, gwerror.NotFound},
		{"POST", "/v1/prompts/a/b", 0, gwerror.NotFound},
		{"POST", "/v1/prompts/a/versions/", 0, gwerror.NotFound},
		{"POST", "/v1/prompts/a/versions/1/x", 0, gwerror.NotFound},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			x := &pipeline.Exchange{Method: tc.method, Path: tc.path}
			err := Identify{}.OnRequestHeaders(t.Context(), x)
			if tc.code != "" {
				if gwerror.From(err).Code != tc.code {
					t.Errorf("error = %v, want %s", err, tc.code)
				}
				return
			}
			if err != nil || x.API != tc.api {
				t.Errorf("api %v, error %v; want %v", x.API, err, tc.api)
			}
		})
	}
}
