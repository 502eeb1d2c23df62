package extproc

import (
	"testing"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	extprocv3 "github.com/envoyproxy/go-control-plane/envoy/service/ext_proc/v3"
	"google.golang.org/protobuf/proto"

	"github.com/sluice-gw/sluice/pkg/pipeline"
)

// BenchmarkAnswer builds and marshals the answer to a request body (three
// sets, a remove, a replaced body, the route cleared) and to a stream
// chunk (a replaced body): hand-encoded, as Sluice sends them, and built
// from the generated messages, as it used to.
func BenchmarkAnswer(b *testing.B) {
	body := make([]byte, 300)
	request := &pipeline.Mutation{
		SetHeaders: []pipeline.Header{{Key: "authorization", Value: "Bearer sk-provider"},
			{Key: "accept-encoding", Value: "identity"}, {Key: "x-sluice-backend", Value: "openai"}},
		RemoveHeaders: []string{"x-api-key"}, Body: make([]byte, 2048), ReplaceBody: true, ClearRouteCache: true,
	}
	chunk := &pipeline.Mutation{Body: body, ReplaceBody: true}
	for _, c := range []struct {
		name string
		m    *pipeline.Mutation
		kind fieldNumber
	}{{"request", request, fieldRequestBody}, {"chunk", chunk, fieldResponseBody}} {
		b.Run(c.name+"/hand", func(b *testing.B) {
			a := takeAnswer()
			b.ReportAllocs()
			for b.Loop() {
				a.reset()
				a.common(c.m, nil)
				if _, err := proto.Marshal(a.finish(c.kind)); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(c.name+"/generated", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := proto.Marshal(generated(c.m, c.kind)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// generated is the answer for m built from the generated messages.
func generated(m *pipeline.Mutation, kind fieldNumber) *extprocv3.ProcessingResponse {
	common := &extprocv3.CommonResponse{ClearRouteCache: m.ClearRouteCache}
	if len(m.SetHeaders) > 0 || len(m.RemoveHeaders) > 0 {
		hm := &extprocv3.HeaderMutation{RemoveHeaders: m.RemoveHeaders}
		for _, h := range m.SetHeaders {
			hm.SetHeaders = append(hm.SetHeaders, &corev3.HeaderValueOption{
				Header:       &corev3.HeaderValue{Key: h.Key, RawValue: []byte(h.Value)},
				AppendAction: corev3.HeaderValueOption_OVERWRITE_IF_EXISTS_OR_ADD})
		}
		common.HeaderMutation = hm
	}
	if m.ReplaceBody {
		common.BodyMutation = &extprocv3.BodyMutation{Mutation: &extprocv3.BodyMutation_Body{Body: m.Body}}
	}
	if kind == fieldRequestBody {
		return &extprocv3.ProcessingResponse{Response: &extprocv3.ProcessingResponse_RequestBody{RequestBody: &extprocv3.BodyResponse{Response: common}}}
	}
	return &extprocv3.ProcessingResponse{Response: &extprocv3.ProcessingResponse_ResponseBody{ResponseBody: &extprocv3.BodyResponse{Response: common}}}
}
