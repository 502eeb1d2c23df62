package loadgen

import (
	"errors"
	"testing"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	filterv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/ext_proc/v3"
	extprocv3 "github.com/envoyproxy/go-control-plane/envoy/service/ext_proc/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/sluice-gw/sluice/pkg/pbread/pbreadtest"
)

// seen is what the driver acts on, however it was decoded.
type seen struct {
	kind              protowire.Number
	override          bool
	mode              filterv3.ProcessingMode_BodySendMode
	status            int
	details, response string
}

func fromWire(t testing.TB, b []byte) (seen, error) {
	t.Helper()
	a := answer{buf: b}
	err := a.parse()
	return seen{a.kind, a.override, a.bodyMode, a.status, string(a.details), string(a.localBody)}, err
}

func fromProto(r *extprocv3.ProcessingResponse) seen {
	s := seen{override: r.GetModeOverride() != nil, mode: r.GetModeOverride().GetResponseBodyMode()}
	s.kind = oneofField(r)
	if ir := r.GetImmediateResponse(); ir != nil {
		s.status, s.details, s.response = int(ir.GetStatus().GetCode()), ir.GetDetails(), string(ir.GetBody())
	}
	return s
}

// checkSame parses b both ways and fails unless they agree: both refuse
// it, or both accept it and see the same thing. Answers with a field the
// driver refuses to play are skipped; it returns false for those.
func checkSame(t testing.TB, b []byte) bool {
	t.Helper()
	var r extprocv3.ProcessingResponse
	perr := proto.Unmarshal(b, &r)
	got, err := fromWire(t, b)
	if errors.Is(err, errUnsupported) {
		return false
	}
	switch {
	case perr != nil && err == nil:
		t.Fatalf("protobuf-go refuses %x (%v), the wire reader accepts it as %+v", b, perr, got)
	case perr == nil && err != nil:
		t.Fatalf("protobuf-go accepts %x, the wire reader refuses it: %v", b, err)
	case perr == nil:
		if want := fromProto(&r); got != want {
			t.Fatalf("%x: wire reader saw %+v, protobuf-go %+v", b, got, want)
		}
	}
	return true
}

func mutation() *extprocv3.HeaderMutation {
	return &extprocv3.HeaderMutation{
		SetHeaders: []*corev3.HeaderValueOption{
			{Header: &corev3.HeaderValue{Key: "x-sluice-backend", RawValue: []byte("openai")}, AppendAction: corev3.HeaderValueOption_OVERWRITE_IF_EXISTS_OR_ADD},
			{Header: &corev3.HeaderValue{Key: "x-old", Value: "v"}, Append: wrapperspb.Bool(true), KeepEmptyValue: true},
		},
		RemoveHeaders: []string{"x-api-key"},
	}
}

func metadata(t testing.TB) *structpb.Struct {
	t.Helper()
	inner, err := structpb.NewStruct(map[string]any{
		"tenant": "acme", "input_tokens": "412", "n": 3.5, "ok": true, "none": nil,
		"list": []any{"a", 1.0, map[string]any{"deep": []any{false}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return &structpb.Struct{Fields: map[string]*structpb.Value{"sluice": structpb.NewStructValue(inner)}}
}

func TestAnswerMatchesProtobuf(t *testing.T) {
	common := &extprocv3.CommonResponse{
		Status: extprocv3.CommonResponse_CONTINUE_AND_REPLACE, HeaderMutation: mutation(),
		BodyMutation:    &extprocv3.BodyMutation{Mutation: &extprocv3.BodyMutation_Body{Body: []byte(`{"a":1}`)}},
		Trailers:        &corev3.HeaderMap{Headers: []*corev3.HeaderValue{{Key: "grpc-status", Value: "0"}}},
		ClearRouteCache: true,
	}
	streamed := &extprocv3.CommonResponse{BodyMutation: &extprocv3.BodyMutation{Mutation: &extprocv3.BodyMutation_StreamedResponse{
		StreamedResponse: &extprocv3.StreamedBodyResponse{Body: []byte("data: x\n\n"), EndOfStream: true}}}}
	tests := map[string]*extprocv3.ProcessingResponse{
		"empty":            {},
		"request headers":  {Response: &extprocv3.ProcessingResponse_RequestHeaders{RequestHeaders: &extprocv3.HeadersResponse{}}},
		"request body":     {Response: &extprocv3.ProcessingResponse_RequestBody{RequestBody: &extprocv3.BodyResponse{Response: common}}, DynamicMetadata: metadata(t)},
		"response headers": {Response: &extprocv3.ProcessingResponse_ResponseHeaders{ResponseHeaders: &extprocv3.HeadersResponse{Response: common}}, ModeOverride: &filterv3.ProcessingMode{ResponseBodyMode: filterv3.ProcessingMode_STREAMED}},
		"empty override":   {Response: &extprocv3.ProcessingResponse_ResponseHeaders{ResponseHeaders: &extprocv3.HeadersResponse{}}, ModeOverride: &filterv3.ProcessingMode{}},
		"response body":    {Response: &extprocv3.ProcessingResponse_ResponseBody{ResponseBody: &extprocv3.BodyResponse{Response: streamed}}},
		"trailers":         {Response: &extprocv3.ProcessingResponse_ResponseTrailers{ResponseTrailers: &extprocv3.TrailersResponse{HeaderMutation: mutation()}}},
		"drain":            {Response: &extprocv3.ProcessingResponse_RequestTrailers{RequestTrailers: &extprocv3.TrailersResponse{}}, RequestDrain: true},
		"immediate": {Response: &extprocv3.ProcessingResponse_ImmediateResponse{ImmediateResponse: &extprocv3.ImmediateResponse{
			Status: &typev3.HttpStatus{Code: typev3.StatusCode_TooManyRequests}, Headers: mutation(), Body: []byte(`{"error":{}}`),
			GrpcStatus: &extprocv3.GrpcStatus{Status: 8}, Details: "limit_exceeded",
		}}},
	}
	for name, r := range tests {
		t.Run(name, func(t *testing.T) {
			b, err := proto.Marshal(r)
			if err != nil {
				t.Fatal(err)
			}
			if !checkSame(t, b) {
				t.Fatal("refused as unsupported")
			}
			if got := fromProto(r); name == "immediate" && (got.status != 429 || got.details != "limit_exceeded") {
				t.Fatalf("the comparison itself is broken: %+v", got)
			}
		})
	}
}

func TestAnswerRefuses(t *testing.T) {
	valid, _ := proto.Marshal(&extprocv3.ProcessingResponse{Response: &extprocv3.ProcessingResponse_RequestBody{RequestBody: &extprocv3.BodyResponse{
		Response: &extprocv3.CommonResponse{HeaderMutation: mutation()}}}, DynamicMetadata: metadata(t)})
	badKey := &extprocv3.ProcessingResponse{Response: &extprocv3.ProcessingResponse_RequestBody{RequestBody: &extprocv3.BodyResponse{
		Response: &extprocv3.CommonResponse{HeaderMutation: &extprocv3.HeaderMutation{RemoveHeaders: []string{"\xff"}}}}}}
	badMeta := &extprocv3.ProcessingResponse{DynamicMetadata: &structpb.Struct{Fields: map[string]*structpb.Value{"k": structpb.NewStringValue("\xc3")}}}
	tests := map[string]struct {
		b    []byte
		want error
	}{
		"truncated":             {valid[:len(valid)-3], errMalformed},
		"bad tag":               {[]byte{0x00}, errMalformed},
		"invalid utf-8 header":  {marshalUnchecked(t, badKey), errMalformed},
		"invalid utf-8 value":   {marshalUnchecked(t, badMeta), errMalformed},
		"message timeout":       {pbreadtest.Marshal(t, &extprocv3.ProcessingResponse{OverrideMessageTimeout: durationpb.New(1)}), errUnsupported},
		"streamed immediate":    {pbreadtest.Marshal(t, &extprocv3.ProcessingResponse{Response: &extprocv3.ProcessingResponse_StreamedImmediateResponse{StreamedImmediateResponse: &extprocv3.StreamedImmediateResponse{}}}), errUnsupported},
		"lone end group":        {protowire.AppendTag(nil, 3, protowire.EndGroupType), errMalformed},
		"overlong varint":       {append(protowire.AppendTag(nil, 12, protowire.VarintType), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01), errMalformed},
		"length past the end":   {[]byte{0x22, 0x05, 0x0a}, errMalformed},
		"metadata nested badly": {append(protowire.AppendTag(nil, 8, protowire.BytesType), 0x02, 0x0a, 0x05), errMalformed},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := fromWire(t, tt.b); !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			checkSame(t, tt.b)
		})
	}
}

// marshalUnchecked encodes m even where a string is not UTF-8, as a
// faulty server might.
func marshalUnchecked(t testing.TB, m proto.Message) []byte {
	t.Helper()
	b, err := proto.MarshalOptions{}.Marshal(m)
	if err == nil {
		return b
	}
	// protobuf-go refuses to encode invalid UTF-8; build the bytes by hand.
	return handEncoded(t, m)
}

func handEncoded(t testing.TB, m proto.Message) []byte {
	t.Helper()
	r := m.(*extprocv3.ProcessingResponse)
	if md := r.GetDynamicMetadata(); md != nil {
		for k, v := range md.GetFields() {
			val := protowire.AppendString(protowire.AppendTag(nil, 3, protowire.BytesType), v.GetStringValue())
			entry := protowire.AppendString(protowire.AppendTag(nil, 1, protowire.BytesType), k)
			entry = protowire.AppendBytes(protowire.AppendTag(entry, 2, protowire.BytesType), val)
			st := protowire.AppendBytes(protowire.AppendTag(nil, 1, protowire.BytesType), entry)
			return protowire.AppendBytes(protowire.AppendTag(nil, 8, protowire.BytesType), st)
		}
	}
	hm := protowire.AppendString(protowire.AppendTag(nil, 2, protowire.BytesType),
		r.GetRequestBody().GetResponse().GetHeaderMutation().GetRemoveHeaders()[0])
	common := protowire.AppendBytes(protowire.AppendTag(nil, 2, protowire.BytesType), hm)
	body := protowire.AppendBytes(protowire.AppendTag(nil, 1, protowire.BytesType), common)
	return protowire.AppendBytes(protowire.AppendTag(nil, 3, protowire.BytesType), body)
}

// FuzzAnswerMatchesProtobuf holds the wire reader to protobuf-go's
// verdict on any bytes: the same refusals, and the same kind, mode and
// immediate response on everything both accept.
func FuzzAnswerMatchesProtobuf(f *testing.F) {
	for _, m := range []*extprocv3.ProcessingResponse{
		{Response: &extprocv3.ProcessingResponse_RequestBody{RequestBody: &extprocv3.BodyResponse{Response: &extprocv3.CommonResponse{HeaderMutation: mutation(), ClearRouteCache: true}}}, DynamicMetadata: metadata(f)},
		{Response: &extprocv3.ProcessingResponse_ResponseHeaders{ResponseHeaders: &extprocv3.HeadersResponse{}}, ModeOverride: &filterv3.ProcessingMode{ResponseBodyMode: filterv3.ProcessingMode_STREAMED}},
		{Response: &extprocv3.ProcessingResponse_ImmediateResponse{ImmediateResponse: &extprocv3.ImmediateResponse{Status: &typev3.HttpStatus{Code: 404}, Body: []byte("{}"), Details: "x"}}},
	} {
		b := pbreadtest.Marshal(f, m)
		f.Add(b)
		// The same message twice: later scalars win, messages merge.
		f.Add(append(append([]byte(nil), b...), b...))
	}
	f.Fuzz(func(t *testing.T, b []byte) { checkSame(t, b) })
}

// TestAnswerNestingLimit nests Structs, and lists, around protobuf-go's
// recursion limit: the reader must refuse exactly where it does.
func TestAnswerNestingLimit(t *testing.T) {
	newResponse := func() proto.Message { return &extprocv3.ProcessingResponse{} }
	for _, list := range []bool{false, true} {
		wire := func(levels int) []byte {
			return pbreadtest.Marshal(t, &extprocv3.ProcessingResponse{DynamicMetadata: pbreadtest.Nested(levels, list)})
		}
		pbreadtest.AroundLimit(t, newResponse, wire, func(offset int, b []byte) {
			if !checkSame(t, b) {
				t.Fatalf("list=%v, limit%+d: refused as unsupported", list, offset)
			}
		})
	}
}

// sluiceLikeAnswer is a request body answer as Sluice sends one: a header
// mutation, a replaced body, route clearing and eight metadata entries.
func sluiceLikeAnswer(t testing.TB) []byte {
	t.Helper()
	inner, err := structpb.NewStruct(map[string]any{"tenant": "acme", "key": "k1", "model": "gpt-4o-mini", "backend": "openai",
		"input_tokens": "412", "output_tokens": "160", "total_tokens": "572", "cost_micros": "1234"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := proto.Marshal(&extprocv3.ProcessingResponse{
		Response: &extprocv3.ProcessingResponse_RequestBody{RequestBody: &extprocv3.BodyResponse{Response: &extprocv3.CommonResponse{
			Status: extprocv3.CommonResponse_CONTINUE_AND_REPLACE, HeaderMutation: mutation(), ClearRouteCache: true,
			BodyMutation: &extprocv3.BodyMutation{Mutation: &extprocv3.BodyMutation_Body{Body: []byte(`{"model":"gpt-4o-mini"}`)}},
		}}},
		DynamicMetadata: &structpb.Struct{Fields: map[string]*structpb.Value{"sluice": structpb.NewStructValue(inner)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestAnswerDoesNotAllocate: the wire reader costs what Envoy's parser
// costs, nothing per answer on the heap, however much metadata it holds.
func TestAnswerDoesNotAllocate(t *testing.T) {
	a := answer{buf: sluiceLikeAnswer(t)}
	if n := testing.AllocsPerRun(100, func() {
		if err := a.parse(); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("parse allocates %v times per answer", n)
	}
}

// BenchmarkAnswer reads a Sluice-like answer from the wire and, for
// comparison, with protobuf-go's decoder (-proto-answers).
func BenchmarkAnswer(b *testing.B) {
	buf := sluiceLikeAnswer(b)
	b.Run("wire", func(b *testing.B) {
		a := answer{buf: buf}
		b.ReportAllocs()
		for b.Loop() {
			if err := a.parse(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("protobuf-go", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var r extprocv3.ProcessingResponse
			if err := proto.Unmarshal(buf, &r); err != nil {
				b.Fatal(err)
			}
			_ = oneofField(&r)
		}
	})
}
