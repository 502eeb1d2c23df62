package extproc

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/sluice-gw/sluice/pkg/pipeline"
)

// TestUnchangedHeadersLeftOut checks that only a set that cannot change
// what Envoy holds is left out of an answer.
func TestUnchangedHeadersLeftOut(t *testing.T) {
	held := pipeline.Headers{{Key: ":path", Value: "/v1/chat/completions"}, {Key: "content-type", Value: "application/json"},
		{Key: "accept", Value: "a"}, {Key: "accept", Value: "a"}, {Key: "x-empty", Value: ""}}
	tests := []struct {
		name string
		m    pipeline.Mutation
		want []pipeline.Header
	}{
		{"nothing set", pipeline.Mutation{}, nil},
		{"same values", pipeline.Mutation{SetHeaders: []pipeline.Header{
			{Key: ":path", Value: "/v1/chat/completions"}, {Key: "content-type", Value: "application/json"}}}, nil},
		{"new value", pipeline.Mutation{SetHeaders: []pipeline.Header{
			{Key: ":path", Value: "/v1/messages"}, {Key: "content-type", Value: "application/json"}}},
			[]pipeline.Header{{Key: ":path", Value: "/v1/messages"}}},
		{"new header", pipeline.Mutation{SetHeaders: []pipeline.Header{{Key: "x-sluice-backend", Value: "openai"}}},
			[]pipeline.Header{{Key: "x-sluice-backend", Value: "openai"}}},
		{"held twice: a set collapses it to one", pipeline.Mutation{SetHeaders: []pipeline.Header{{Key: "accept", Value: "a"}}},
			[]pipeline.Header{{Key: "accept", Value: "a"}}},
		{"empty value over a held empty value", pipeline.Mutation{SetHeaders: []pipeline.Header{{Key: "x-empty", Value: ""}}}, nil},
		{"empty value over a held value", pipeline.Mutation{SetHeaders: []pipeline.Header{{Key: "content-type", Value: ""}}},
			[]pipeline.Header{{Key: "content-type", Value: ""}}},
		{"removed too: Envoy removes, then sets", pipeline.Mutation{
			SetHeaders:    []pipeline.Header{{Key: "content-type", Value: "application/json"}},
			RemoveHeaders: []string{"content-type"}},
			[]pipeline.Header{{Key: "content-type", Value: "application/json"}}},
		{"route cache cleared: some mutation stays", pipeline.Mutation{ClearRouteCache: true,
			SetHeaders: []pipeline.Header{{Key: ":path", Value: "/v1/chat/completions"}}},
			[]pipeline.Header{{Key: ":path", Value: "/v1/chat/completions"}}},
		{"set twice: the last wins", pipeline.Mutation{SetHeaders: []pipeline.Header{
			{Key: "content-type", Value: "text/plain"}, {Key: "content-type", Value: "application/json"}}},
			[]pipeline.Header{{Key: "content-type", Value: "text/plain"}, {Key: "content-type", Value: "application/json"}}},
	}
	var a answer
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a.reset()
			a.common(&tt.m, held)
			c := decode(t, a.finish(fieldRequestBody)).GetRequestBody().GetResponse()
			var got []pipeline.Header
			for _, h := range c.GetHeaderMutation().GetSetHeaders() {
				got = append(got, pipeline.Header{Key: h.GetHeader().GetKey(), Value: string(h.GetHeader().GetRawValue())})
			}
			if d := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); d != "" {
				t.Errorf("header sets sent (-want +got):\n%s", d)
			}
			if c.GetClearRouteCache() != tt.m.ClearRouteCache {
				t.Errorf("clear_route_cache = %v, want %v", c.GetClearRouteCache(), tt.m.ClearRouteCache)
			}
		})
	}
}

// TestPutAnswerKeepsNothing checks that an answer going back to the pool
// holds nothing of its stream's request: a prompt can be in the replaced
// body, and credentials in the headers.
func TestPutAnswerKeepsNothing(t *testing.T) {
	// A short body keeps the answer in its own array; a long one moves it
	// to the heap after earlier answers filled the array.
	for _, body := range []string{"and a prompt", strings.Repeat("a long prompt ", 200)} {
		a := takeAnswer()
		// The first answer fits the array; the second may not.
		for _, b := range []string{"a secret prompt", "secret " + body} {
			a.reset()
			a.common(&pipeline.Mutation{SetHeaders: []pipeline.Header{{Key: "authorization", Value: "sk-provider-secret"}},
				Body: []byte(b), ReplaceBody: true, ClearRouteCache: true}, nil)
			a.setMetadata([]pipeline.Header{{Key: "tenant", Value: "secret"}}, &published{})
			a.finish(fieldRequestBody)
		}
		putAnswer(a)
		if a.body != nil || a.sets != nil || a.kept != nil || a.kvs != nil || a.meta != nil {
			t.Fatalf("slices kept: body %q sets %v kept %v kvs %v meta %q", a.body, a.sets, a.kept, a.kvs, a.meta)
		}
		for _, h := range append(append(a.keptArr[:], a.kvArr[:]...), a.oneArr[:]...) {
			if h != (pipeline.Header{}) {
				t.Fatalf("a header slab still holds %v", h)
			}
		}
		for name, b := range map[string][]byte{"wire": a.wire[:cap(a.wire)], "wire array": a.wireArr[:], "metadata": a.metaArr[:]} {
			if strings.Contains(string(b), "secret") {
				t.Fatalf("%d-byte body: the %s buffer still holds the request's bytes", len(body), name)
			}
		}
	}
}
