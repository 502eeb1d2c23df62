package extproc

import (
	"bytes"
	"strings"
	"testing"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	filterv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/ext_proc/v3"
	extprocv3 "github.com/envoyproxy/go-control-plane/envoy/service/ext_proc/v3"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/sluice-gw/sluice/pkg/pipeline"
)

// TestFieldNumbers checks the hand-encoder's field numbers against the
// descriptors.
func TestFieldNumbers(t *testing.T) {
	tests := []struct {
		m     proto.Message
		field string
		num   fieldNumber
	}{
		{&extprocv3.ProcessingResponse{}, "request_headers", fieldRequestHeaders},
		{&extprocv3.ProcessingResponse{}, "response_headers", fieldResponseHeaders},
		{&extprocv3.ProcessingResponse{}, "request_body", fieldRequestBody},
		{&extprocv3.ProcessingResponse{}, "response_body", fieldResponseBody},
		{&extprocv3.ProcessingResponse{}, "dynamic_metadata", fieldDynamicMetadata},
		{&extprocv3.ProcessingResponse{}, "mode_override", fieldModeOverride},
		{&extprocv3.HeadersResponse{}, "response", fieldCommon},
		{&extprocv3.BodyResponse{}, "response", fieldCommon},
		{&extprocv3.CommonResponse{}, "status", fieldStatus},
		{&extprocv3.CommonResponse{}, "header_mutation", fieldHeaderMutation},
		{&extprocv3.CommonResponse{}, "body_mutation", fieldBodyMutation},
		{&extprocv3.CommonResponse{}, "clear_route_cache", fieldClearRouteCache},
		{&extprocv3.HeaderMutation{}, "set_headers", fieldSetHeaders},
		{&extprocv3.HeaderMutation{}, "remove_headers", fieldRemoveHeaders},
		{&corev3.HeaderValueOption{}, "header", fieldHeader},
		{&corev3.HeaderValueOption{}, "append_action", fieldAppendAction},
		{&corev3.HeaderValue{}, "key", fieldKey},
		{&corev3.HeaderValue{}, "raw_value", fieldRawValue},
		{&extprocv3.BodyMutation{}, "body", fieldBody},
		{&filterv3.ProcessingMode{}, "request_header_mode", fieldRequestHeaderMode},
		{&filterv3.ProcessingMode{}, "response_header_mode", fieldResponseHeaderMode},
		{&filterv3.ProcessingMode{}, "request_body_mode", fieldRequestBodyMode},
		{&filterv3.ProcessingMode{}, "response_body_mode", fieldResponseBodyMode},
		{&filterv3.ProcessingMode{}, "request_trailer_mode", fieldRequestTrailerMode},
		{&filterv3.ProcessingMode{}, "response_trailer_mode", fieldResponseTrailerMode},
		// What the frame reader reads.
		{&extprocv3.ProcessingRequest{}, "request_headers", inRequestHeaders},
		{&extprocv3.ProcessingRequest{}, "response_headers", inResponseHeaders},
		{&extprocv3.ProcessingRequest{}, "request_body", inRequestBody},
		{&extprocv3.ProcessingRequest{}, "response_body", inResponseBody},
		{&extprocv3.ProcessingRequest{}, "request_trailers", inRequestTrailers},
		{&extprocv3.ProcessingRequest{}, "response_trailers", inResponseTrailers},
		{&extprocv3.ProcessingRequest{}, "metadata_context", inMetadataContext},
		{&extprocv3.ProcessingRequest{}, "attributes", inAttributes},
		{&extprocv3.ProcessingRequest{}, "protocol_config", inProtocolConfig},
		{&extprocv3.ProcessingRequest{}, "flow_control_init", inFlowControlInit},
		{&extprocv3.ProcessingRequest{}, "client_window_update", inWindowUpdate},
		{&extprocv3.HttpHeaders{}, "headers", inHeaders},
		{&extprocv3.HttpHeaders{}, "attributes", inHeadersAttributes},
		{&extprocv3.HttpHeaders{}, "end_of_stream", inHeadersEnd},
		{&extprocv3.HttpBody{}, "body", inBody},
		{&extprocv3.HttpBody{}, "end_of_stream", inBodyEnd},
		{&corev3.HeaderMap{}, "headers", inHeaderValue},
		{&corev3.HeaderValue{}, "key", inKey},
		{&corev3.HeaderValue{}, "value", inValue},
		{&corev3.HeaderValue{}, "raw_value", inRawValue},
		// What the metadata check and the attribute reader read.
		{&corev3.Metadata{}, "filter_metadata", metaFilter},
		{&corev3.Metadata{}, "typed_filter_metadata", metaTyped},
		{&anypb.Any{}, "type_url", anyTypeURL},
		{&structpb.Struct{}, "fields", structFields},
		{&structpb.Value{}, "null_value", valueNull},
		{&structpb.Value{}, "number_value", valueNumber},
		{&structpb.Value{}, "string_value", valueString},
		{&structpb.Value{}, "bool_value", valueBool},
		{&structpb.Value{}, "struct_value", valueStructNumber},
		{&structpb.Value{}, "list_value", valueList},
	}
	for _, tt := range tests {
		d := tt.m.ProtoReflect().Descriptor()
		f := d.Fields().ByName(protoreflect.Name(tt.field))
		if f == nil || f.Number() != tt.num || f.Number() >= 16 {
			t.Errorf("%s.%s: want number %d (below 16), descriptor has %v", d.Name(), tt.field, tt.num, f)
		}
	}
	if overwrite != int(corev3.HeaderValueOption_OVERWRITE_IF_EXISTS_OR_ADD) {
		t.Errorf("overwrite = %d", overwrite)
	}
}

func setHeader(k, v string) *corev3.HeaderValueOption {
	return &corev3.HeaderValueOption{Header: &corev3.HeaderValue{Key: k, RawValue: []byte(v)},
		AppendAction: corev3.HeaderValueOption_OVERWRITE_IF_EXISTS_OR_ADD}
}

// TestAnswerWire checks that hand-encoded answers are, byte for byte, what
// marshalling the generated messages produces.
func TestAnswerWire(t *testing.T) {
	long := strings.Repeat("v", 300)
	body := bytes.Repeat([]byte("b"), 20_000)
	tests := []struct {
		name  string
		build func(a *answer) *extprocv3.ProcessingResponse
		want  *extprocv3.ProcessingResponse
	}{
		{"bare continue", func(a *answer) *extprocv3.ProcessingResponse { return a.finish(fieldRequestHeaders) },
			&extprocv3.ProcessingResponse{Response: &extprocv3.ProcessingResponse_RequestHeaders{
				RequestHeaders: &extprocv3.HeadersResponse{Response: &extprocv3.CommonResponse{}}}}},
		{"request body rewritten and rerouted", func(a *answer) *extprocv3.ProcessingResponse {
			a.common(&pipeline.Mutation{SetHeaders: []pipeline.Header{{Key: ":path", Value: "/v1/messages"},
				{Key: "x-long", Value: long}, {Key: "x-empty", Value: ""}}, RemoveHeaders: []string{"authorization"},
				Body: []byte(`{"b":2}`), ReplaceBody: true, ClearRouteCache: true}, nil)
			a.setMetadata([]pipeline.Header{{Key: "tenant", Value: "acme"}, {Key: "key", Value: "k1"}}, &published{})
			return a.finish(fieldRequestBody)
		}, &extprocv3.ProcessingResponse{
			Response: &extprocv3.ProcessingResponse_RequestBody{RequestBody: &extprocv3.BodyResponse{
				Response: &extprocv3.CommonResponse{
					HeaderMutation: &extprocv3.HeaderMutation{
						SetHeaders:    []*corev3.HeaderValueOption{setHeader(":path", "/v1/messages"), setHeader("x-long", long), setHeader("x-empty", "")},
						RemoveHeaders: []string{"authorization"}},
					BodyMutation:    &extprocv3.BodyMutation{Mutation: &extprocv3.BodyMutation_Body{Body: []byte(`{"b":2}`)}},
					ClearRouteCache: true}}},
			DynamicMetadata: &structpb.Struct{Fields: map[string]*structpb.Value{"sluice": structpb.NewStructValue(
				&structpb.Struct{Fields: map[string]*structpb.Value{"tenant": structpb.NewStringValue("acme"), "key": structpb.NewStringValue("k1")}})}},
		}},
		{"body made on the headers phase", func(a *answer) *extprocv3.ProcessingResponse {
			a.common(&pipeline.Mutation{Body: body, ReplaceBody: true}, nil)
			a.status = extprocv3.CommonResponse_CONTINUE_AND_REPLACE
			return a.finish(fieldRequestHeaders)
		}, &extprocv3.ProcessingResponse{Response: &extprocv3.ProcessingResponse_RequestHeaders{
			RequestHeaders: &extprocv3.HeadersResponse{Response: &extprocv3.CommonResponse{
				Status:       extprocv3.CommonResponse_CONTINUE_AND_REPLACE,
				BodyMutation: &extprocv3.BodyMutation{Mutation: &extprocv3.BodyMutation_Body{Body: body}}}}}}},
		{"stream switched to STREAMED", func(a *answer) *extprocv3.ProcessingResponse {
			a.common(&pipeline.Mutation{SetHeaders: []pipeline.Header{{Key: "content-type", Value: "text/event-stream"}},
				RemoveHeaders: []string{"content-length"}}, nil)
			a.streamed = true
			return a.finish(fieldResponseHeaders)
		}, &extprocv3.ProcessingResponse{
			Response: &extprocv3.ProcessingResponse_ResponseHeaders{ResponseHeaders: &extprocv3.HeadersResponse{
				Response: &extprocv3.CommonResponse{HeaderMutation: &extprocv3.HeaderMutation{
					SetHeaders:    []*corev3.HeaderValueOption{setHeader("content-type", "text/event-stream")},
					RemoveHeaders: []string{"content-length"}}}}},
			ModeOverride: &filterv3.ProcessingMode{
				RequestHeaderMode: filterv3.ProcessingMode_SEND, ResponseHeaderMode: filterv3.ProcessingMode_SEND,
				RequestBodyMode: filterv3.ProcessingMode_BUFFERED, ResponseBodyMode: filterv3.ProcessingMode_STREAMED,
				RequestTrailerMode: filterv3.ProcessingMode_SKIP, ResponseTrailerMode: filterv3.ProcessingMode_SKIP},
		}},
		{"chunk replaced by nothing", func(a *answer) *extprocv3.ProcessingResponse {
			a.replaceBody(nil)
			return a.finish(fieldResponseBody)
		}, &extprocv3.ProcessingResponse{Response: &extprocv3.ProcessingResponse_ResponseBody{ResponseBody: &extprocv3.BodyResponse{
			Response: &extprocv3.CommonResponse{BodyMutation: &extprocv3.BodyMutation{Mutation: &extprocv3.BodyMutation_Body{}}}}}}},
		{"buffered body replaced", func(a *answer) *extprocv3.ProcessingResponse {
			a.replaceBody([]byte(`{"ok":true}`))
			a.setContentLength(11)
			return a.finish(fieldResponseBody)
		}, &extprocv3.ProcessingResponse{Response: &extprocv3.ProcessingResponse_ResponseBody{ResponseBody: &extprocv3.BodyResponse{
			Response: &extprocv3.CommonResponse{
				HeaderMutation: &extprocv3.HeaderMutation{SetHeaders: []*corev3.HeaderValueOption{setHeader("content-length", "11")}},
				BodyMutation:   &extprocv3.BodyMutation{Mutation: &extprocv3.BodyMutation_Body{Body: []byte(`{"ok":true}`)}}}}}}},
	}
	var a answer // reused, as a stream does, so leftovers would show
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a.reset()
			resp := tt.build(&a)
			got, err := proto.Marshal(resp)
			if err != nil {
				t.Fatal(err)
			}
			want, err := proto.MarshalOptions{Deterministic: true}.Marshal(tt.want)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				var back extprocv3.ProcessingResponse
				err := proto.Unmarshal(got, &back)
				t.Errorf("encoding differs (decodes with error %v):\n%s\ngot  %x\nwant %x", err, cmp.Diff(tt.want, &back, protocmp.Transform()), got, want)
			}
		})
	}
}
