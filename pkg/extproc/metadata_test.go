package extproc

import (
	"strings"
	"testing"

	extprocv3 "github.com/envoyproxy/go-control-plane/envoy/service/ext_proc/v3"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/sluice-gw/sluice/pkg/pipeline"
)

// TestMetadataWire checks that the hand-encoded dynamic metadata decodes
// to the Struct that structpb would have built, including values long
// enough to need multi-byte lengths, and that a reused answer carries no
// leftovers.
func TestMetadataWire(t *testing.T) {
	tests := []struct {
		name string
		m    map[string]string
	}{
		{"one", map[string]string{"model": "gpt-4o"}},
		{"usage", map[string]string{"input_tokens": "12", "output_tokens": "30", "total_tokens": "42",
			"cost_micros": "7", "tenant": "acme", "model": "m", "backend": "openai", "key": "k1", "x": ""}},
		{"long", map[string]string{"long": strings.Repeat("é", 300), strings.Repeat("k", 200): "v"}},
	}
	var a answer
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a.reset()
			a.setMetadata(headersOf(tt.m), &published{})
			got := decode(t, a.finish(fieldResponseBody))
			fields := map[string]any{}
			for k, v := range tt.m {
				fields[k] = v
			}
			inner, err := structpb.NewStruct(fields)
			if err != nil {
				t.Fatal(err)
			}
			want := &extprocv3.ProcessingResponse{
				Response: &extprocv3.ProcessingResponse_ResponseBody{ResponseBody: &extprocv3.BodyResponse{
					Response: &extprocv3.CommonResponse{}}},
				DynamicMetadata: &structpb.Struct{Fields: map[string]*structpb.Value{"sluice": structpb.NewStructValue(inner)}},
			}
			if d := cmp.Diff(want, got, protocmp.Transform()); d != "" {
				t.Errorf("decoded answer (-want +got):\n%s", d)
			}
		})
	}
}

// TestMetadataSentOnce checks that a value Envoy already holds from an
// earlier answer of the stream is not sent again, while a changed one is.
func TestMetadataSentOnce(t *testing.T) {
	steps := []struct {
		m    map[string]string
		want map[string]string // nil: no dynamic metadata at all
	}{
		{map[string]string{"tenant": "acme", "key": "k1"}, map[string]string{"tenant": "acme", "key": "k1"}},
		{map[string]string{"tenant": "acme"}, nil},
		{map[string]string{"tenant": "acme", "model": "m", "key": "k2"}, map[string]string{"model": "m", "key": "k2"}},
		{map[string]string{"key": "k1"}, map[string]string{"key": "k1"}},
		{nil, nil},
	}
	var a answer
	var sent published
	for i, s := range steps {
		a.reset()
		a.setMetadata(headersOf(s.m), &sent)
		got := decode(t, a.finish(fieldResponseBody))
		var gotM map[string]string
		if md := got.GetDynamicMetadata(); md != nil {
			gotM = map[string]string{}
			for k, v := range md.GetFields()["sluice"].GetStructValue().GetFields() {
				gotM[k] = v.GetStringValue()
			}
		}
		if d := cmp.Diff(s.want, gotM); d != "" {
			t.Errorf("step %d: metadata sent (-want +got):\n%s", i, d)
		}
	}
}

// decode is what Envoy reads of resp.
func decode(t *testing.T, resp *extprocv3.ProcessingResponse) *extprocv3.ProcessingResponse {
	t.Helper()
	wire, err := proto.Marshal(resp)
	if err != nil {
		t.Fatal(err)
	}
	var got extprocv3.ProcessingResponse
	if err := proto.Unmarshal(wire, &got); err != nil {
		t.Fatal(err)
	}
	return &got
}

// headersOf is m as the stages set it, one entry per key.
func headersOf(m map[string]string) []pipeline.Header {
	var hs []pipeline.Header
	for k, v := range m {
		hs = append(hs, pipeline.Header{Key: k, Value: v})
	}
	return hs
}
