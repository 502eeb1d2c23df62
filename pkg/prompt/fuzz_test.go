package prompt

import (
	"errors"
	"log/slog"
	"testing"

	"github.com/sluice-gw/sluice/pkg/config"
	"github.com/sluice-gw/sluice/pkg/gwerror"
	"github.com/sluice-gw/sluice/pkg/inbound"
	"github.com/sluice-gw/sluice/pkg/pipeline"
	"github.com/sluice-gw/sluice/pkg/translate"
)

// FuzzCall sends arbitrary paths and bodies through identify, parse and
// the prompt stage: every failure is a client error, never a panic or an
// internal error.
func FuzzCall(f *testing.F) {
	snap, err := config.Load("testdata/sluice.yaml", config.LoadOptions{})
	if err != nil {
		f.Fatal(err)
	}
	s := New(slog.New(slog.DiscardHandler))
	if err := s.Reload(f.Context(), snap); err != nil {
		f.Fatal(err)
	}
	for _, c := range []struct{ path, body string }{
		{"/v1/prompts/support/versions/1", `{"variables":{"customer_name":"a","question":"q"}}`},
		{"/v1/prompts/support", `{"variables":{"question":"\"}]"},"stream":true}`},
		{"/v1/chat/completions", `{"prompt":{"id":"support","variables":{"question":"q"}},"messages":{"a":1}}`},
		{"/v1/chat/completions", `{"prompt":{"id":"support","version":"2"}}`},
		{"/v1/prompts//versions/", `{}`},
	} {
		f.Add(c.path, c.body)
	}
	f.Fuzz(func(t *testing.T, path, body string) {
		x := &pipeline.Exchange{Config: snap, Method: "POST", Path: path, Request: translate.Request{Body: []byte(body)}}
		err := (inbound.Identify{}).OnRequestHeaders(t.Context(), x)
		if err == nil {
			if err = (inbound.Parse{}).OnRequest(t.Context(), x); err == nil {
				err = s.OnRequest(t.Context(), x)
			}
		}
		var ge *gwerror.Error
		if err != nil && (!errors.As(err, &ge) || ge.HTTPStatus() >= 500) {
			t.Fatalf("%s %q: %v", path, body, err)
		}
	})
}
