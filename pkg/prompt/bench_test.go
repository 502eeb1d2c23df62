package prompt

import (
	"log/slog"
	"testing"

	"github.com/sluice-gw/sluice/pkg/config"
	"github.com/sluice-gw/sluice/pkg/inbound"
	"github.com/sluice-gw/sluice/pkg/pipeline"
	"github.com/sluice-gw/sluice/pkg/translate"
)

// BenchmarkStage is a template call through the parse and prompt stages:
// the body read, the template rendered, the rendered request summarised.
func BenchmarkStage(b *testing.B) {
	snap, err := config.Load("testdata/sluice.yaml", config.LoadOptions{})
	if err != nil {
		b.Fatal(err)
	}
	s := New(slog.New(slog.DiscardHandler))
	if err := s.Reload(b.Context(), snap); err != nil {
		b.Fatal(err)
	}
	body := []byte(`{"variables":{"customer_name":"Ada Lovelace","question":"Where is my parcel? It was due on Monday."}}`)
	b.ReportAllocs()
	for b.Loop() {
		x := &pipeline.Exchange{Config: snap, Method: "POST", Path: "/v1/prompts/support/versions/1",
			API: pipeline.APIPrompt, Request: translate.Request{Body: body}}
		if err := (inbound.Parse{}).OnRequest(b.Context(), x); err != nil {
			b.Fatal(err)
		}
		if err := s.OnRequest(b.Context(), x); err != nil {
			b.Fatal(err)
		}
	}
}
