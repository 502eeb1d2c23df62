package inbound_test

import (
	"context"
	"strings"
	"testing"

	"github.com/sluice-gw/sluice/pkg/inbound"
	"github.com/sluice-gw/sluice/pkg/pipeline"
)

// A ~2 KB chat request, the size the ext_proc benchmark sends.
var benchBody = []byte(`{"model":"gpt-4o-mini","temperature":0.2,"max_tokens":256,"stream":false,` +
	`"messages":[{"role":"system","content":"You are a careful assistant."},` +
	`{"role":"user","content":"` + strings.Repeat("Explain the ext_proc protocol. ", 60) + `"}]}`)

func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchBody)))
	for b.Loop() {
		x := &pipeline.Exchange{API: pipeline.APIChat}
		x.Request.Body = benchBody
		if err := (inbound.Parse{}).OnRequest(context.Background(), x); err != nil {
			b.Fatal(err)
		}
	}
}
