package extproc

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"unsafe"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	filterv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/ext_proc/v3"
	extprocv3 "github.com/envoyproxy/go-control-plane/envoy/service/ext_proc/v3"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/sluice-gw/sluice/pkg/identity"
	"github.com/sluice-gw/sluice/pkg/pbread/pbreadtest"
	"github.com/sluice-gw/sluice/pkg/pipeline"
)

// readFrame is what a frame must hold for a message protobuf-go decoded:
// the headers in order, each one's raw_value if set and its value if not.
func readFrame(m *extprocv3.ProcessingRequest) frame {
	var f frame
	headers := func(hm *corev3.HeaderMap) {
		for _, h := range hm.GetHeaders() {
			v := h.GetValue()
			if raw := h.GetRawValue(); len(raw) > 0 {
				v = string(raw)
			}
			f.headers = append(f.headers, pipeline.Header{Key: h.GetKey(), Value: v})
		}
	}
	switch r := m.GetRequest().(type) {
	case *extprocv3.ProcessingRequest_RequestHeaders:
		f.kind, f.end = inRequestHeaders, r.RequestHeaders.GetEndOfStream()
		headers(r.RequestHeaders.GetHeaders())
	case *extprocv3.ProcessingRequest_ResponseHeaders:
		f.kind, f.end = inResponseHeaders, r.ResponseHeaders.GetEndOfStream()
		headers(r.ResponseHeaders.GetHeaders())
	case *extprocv3.ProcessingRequest_RequestBody:
		f.kind, f.body, f.end = inRequestBody, r.RequestBody.GetBody(), r.RequestBody.GetEndOfStream()
	case *extprocv3.ProcessingRequest_ResponseBody:
		f.kind, f.body, f.end = inResponseBody, r.ResponseBody.GetBody(), r.ResponseBody.GetEndOfStream()
	case *extprocv3.ProcessingRequest_RequestTrailers:
		f.kind = inRequestTrailers
	case *extprocv3.ProcessingRequest_ResponseTrailers:
		f.kind = inResponseTrailers
	}
	// Sluice uses them only with the request's headers.
	if f.kind == inRequestHeaders {
		f.filterMetadata = m.GetMetadataContext().GetFilterMetadata()
		f.conn = identity.ConnectionFrom(m.GetAttributes())
	}
	return f
}

var frameOpts = cmp.Options{
	cmp.AllowUnexported(frame{}),
	cmpopts.IgnoreFields(frame{}, "context", "chunk"), // scratch
	cmpopts.EquateNaNs(),
	protocmp.Transform(),
	cmpopts.EquateEmpty(),
}

// checkFrame decodes b both ways and reports any difference: a message
// one reader takes and the other refuses, or a value read differently.
func checkFrame(t *testing.T, b []byte) {
	t.Helper()
	var m extprocv3.ProcessingRequest
	wantErr := proto.Unmarshal(b, &m)
	var f frame
	// The frame keeps its bytes; a copy shows that it reads only its own.
	err := f.decode(slices.Clone(b))
	if (err == nil) != (wantErr == nil) {
		t.Fatalf("frame error %v, protobuf-go error %v, for % x", err, wantErr, b)
	}
	if err != nil {
		return
	}
	if d := cmp.Diff(readFrame(&m), f, frameOpts); d != "" {
		t.Fatalf("frame differs from protobuf-go (-want +got):\n%s\nfor % x", d, b)
	}
}

func hv(k, v string) *corev3.HeaderValue { return &corev3.HeaderValue{Key: k, RawValue: []byte(v)} }

func requestHeadersMessage(hs ...*corev3.HeaderValue) *extprocv3.ProcessingRequest {
	return &extprocv3.ProcessingRequest{Request: &extprocv3.ProcessingRequest_RequestHeaders{
		RequestHeaders: &extprocv3.HttpHeaders{Headers: &corev3.HeaderMap{Headers: hs}}}}
}

// frameMessages are messages as Envoy sends them, and the odd ones the
// protobuf encoding allows.
func frameMessages(t testing.TB) map[string][]byte {
	first := requestHeadersMessage(hv(":authority", "llm.example.com"), hv(":path", "/v1/chat/completions"),
		hv(":method", "POST"), hv("content-type", "application/json"), hv("authorization", "Bearer sk-x"),
		hv("x-request-id", "abc"))
	first.ProtocolConfig = &extprocv3.ProtocolConfiguration{
		RequestBodyMode: filterv3.ProcessingMode_BUFFERED, ResponseBodyMode: filterv3.ProcessingMode_STREAMED}
	claims, _ := structpb.NewStruct(map[string]any{"jwt_payload": map[string]any{"sub": "alice", "groups": []any{"a"}}})
	peer, _ := structpb.NewStruct(map[string]any{"source.principal": "spiffe://cluster.local/ns/a/sa/b"})
	withContext := requestHeadersMessage(hv(":path", "/v1/models"))
	withContext.GetRequestHeaders().EndOfStream = true
	withContext.MetadataContext = &corev3.Metadata{FilterMetadata: map[string]*structpb.Struct{"envoy.filters.http.jwt_authn": claims}}
	withContext.Attributes = map[string]*structpb.Struct{"envoy.filters.http.ext_proc": peer}
	body := func(resp bool, b string, end bool) *extprocv3.ProcessingRequest {
		hb := &extprocv3.HttpBody{Body: []byte(b), EndOfStream: end}
		if resp {
			return &extprocv3.ProcessingRequest{Request: &extprocv3.ProcessingRequest_ResponseBody{ResponseBody: hb}}
		}
		return &extprocv3.ProcessingRequest{Request: &extprocv3.ProcessingRequest_RequestBody{RequestBody: hb}}
	}
	respHeaders := &extprocv3.ProcessingRequest{Request: &extprocv3.ProcessingRequest_ResponseHeaders{
		ResponseHeaders: &extprocv3.HttpHeaders{Headers: &corev3.HeaderMap{Headers: []*corev3.HeaderValue{
			hv(":status", "200"), {Key: "content-type", Value: "text/event-stream"},
			{Key: "x-both", Value: "value", RawValue: []byte("raw")}}}}}}
	trailers := &extprocv3.ProcessingRequest{Request: &extprocv3.ProcessingRequest_ResponseTrailers{
		ResponseTrailers: &extprocv3.HttpTrailers{Trailers: &corev3.HeaderMap{Headers: []*corev3.HeaderValue{hv("grpc-status", "0")}}}}}
	oldAttributes := requestHeadersMessage(hv(":path", "/v1/embeddings"))
	oldAttributes.GetRequestHeaders().Attributes = map[string]*structpb.Struct{"x": peer} //nolint:staticcheck // older Envoys sent it; it must still decode

	// Envoy forwards metadata with every message, an empty
	// metadata_context when there is none, and attributes with the first
	// message of each direction.
	withMeta := func(m *extprocv3.ProcessingRequest, md *corev3.Metadata) *extprocv3.ProcessingRequest {
		m.MetadataContext = md
		return m
	}
	typed, _ := anypb.New(claims)
	nested, _ := structpb.NewStruct(map[string]any{"a": []any{[]any{map[string]any{"b": []any{"c", 1.5, true, nil}}}}})
	forwarded := &corev3.Metadata{
		FilterMetadata:      map[string]*structpb.Struct{"envoy.filters.http.jwt_authn": claims, "x": nested},
		TypedFilterMetadata: map[string]*anypb.Any{"typed": typed},
	}
	respWithAttrs := proto.Clone(respHeaders).(*extprocv3.ProcessingRequest)
	respWithAttrs.Attributes = map[string]*structpb.Struct{"envoy.filters.http.ext_proc": peer}
	respWithAttrs.MetadataContext = &corev3.Metadata{}
	conn := func(fields map[string]any) []byte {
		st, err := structpb.NewStruct(fields)
		if err != nil {
			t.Fatal(err)
		}
		m := requestHeadersMessage(hv(":path", "/v1/chat/completions"))
		m.MetadataContext = &corev3.Metadata{}
		m.Attributes = map[string]*structpb.Struct{identity.AttributesNamespace: st, "other": st}
		return pbreadtest.Marshal(t, m)
	}
	readAttrs := conn(map[string]any{identity.AttrSourceAddress: "10.0.0.1:443", identity.AttrPeerURISAN: "spiffe://td/ns/a/sa/b",
		identity.AttrRouteName: "llm", identity.AttrSourcePort: 8443.0})
	msgs := map[string][]byte{
		"attributes Sluice reads":         readAttrs,
		"attributes of other kinds":       conn(map[string]any{identity.AttrSourceAddress: 7.0, identity.AttrSourcePort: "x", identity.AttrRouteName: nil}),
		"attributes twice, the last wins": append(slices.Clone(readAttrs), conn(map[string]any{identity.AttrRouteName: "second"})...),
		"chunk, empty metadata":           pbreadtest.Marshal(t, withMeta(body(true, "data: {\"x\":1}\n\n", false), &corev3.Metadata{})),
		"chunk, forwarded claims":         pbreadtest.Marshal(t, withMeta(body(true, "data: {\"x\":1}\n\n", false), forwarded)),
		"first message, claims":           pbreadtest.Marshal(t, withMeta(proto.Clone(first).(*extprocv3.ProcessingRequest), forwarded)),
		"response headers and attributes": pbreadtest.Marshal(t, respWithAttrs),
		"first message":                   pbreadtest.Marshal(t, first),
		"metadata and attributes":         pbreadtest.Marshal(t, withContext),
		"request body":                    pbreadtest.Marshal(t, body(false, `{"model":"m","messages":[{"role":"user","content":"hi"}]}`, true)),
		"response headers":                pbreadtest.Marshal(t, respHeaders),
		"response chunk":                  pbreadtest.Marshal(t, body(true, "data: {\"x\":1}\n\n", false)),
		"last chunk, empty":               pbreadtest.Marshal(t, body(true, "", true)),
		"trailers":                        pbreadtest.Marshal(t, trailers),
		"request trailers, empty":         pbreadtest.Marshal(t, &extprocv3.ProcessingRequest{Request: &extprocv3.ProcessingRequest_RequestTrailers{RequestTrailers: &extprocv3.HttpTrailers{}}}),
		"headers' own attributes":         pbreadtest.Marshal(t, oldAttributes),
		"nothing set":                     nil,
		"observability mode":              pbreadtest.Marshal(t, &extprocv3.ProcessingRequest{ObservabilityMode: true, Request: &extprocv3.ProcessingRequest_RequestBody{RequestBody: &extprocv3.HttpBody{}}}),
		"flow control":                    pbreadtest.Marshal(t, &extprocv3.ProcessingRequest{FlowControlInit: &extprocv3.ProcessingRequest_FlowControlInit{InitialWindowDownstreamToSidestream: 1 << 40}}),
		"headers merged":                  append(pbreadtest.Marshal(t, requestHeadersMessage(hv("a", "1"))), pbreadtest.Marshal(t, requestHeadersMessage(hv("b", "2")))...),
		"oneof switched and back":         append(append(pbreadtest.Marshal(t, requestHeadersMessage(hv("a", "1"))), pbreadtest.Marshal(t, body(false, "x", true))...), pbreadtest.Marshal(t, requestHeadersMessage(hv("b", "2")))...),
		"body merged, last one kept":      append(pbreadtest.Marshal(t, body(true, "first", true)), pbreadtest.Marshal(t, body(true, "second", false))...),
	}
	// Hand-made: unknown fields at every level, a known field with another
	// wire type, and malformed messages.
	unknown := func(b []byte) []byte {
		b = protowire.AppendTag(b, 99, protowire.VarintType)
		b = protowire.AppendVarint(b, 7)
		b = protowire.AppendTag(b, 98, protowire.BytesType)
		return protowire.AppendBytes(b, []byte{0xff, 0xfe})
	}
	value := unknown(nil)
	value = protowire.AppendTag(value, inKey, protowire.BytesType)
	value = protowire.AppendString(value, "k")
	value = protowire.AppendTag(value, inValue, protowire.VarintType) // not a string: unknown
	value = protowire.AppendVarint(value, 1)
	value = protowire.AppendTag(value, inValue, protowire.BytesType)
	value = protowire.AppendString(value, "v")
	hmap := protowire.AppendTag(unknown(nil), inHeaderValue, protowire.BytesType)
	hmap = protowire.AppendBytes(hmap, value)
	hh := protowire.AppendTag(unknown(nil), inHeaders, protowire.BytesType)
	hh = protowire.AppendBytes(hh, hmap)
	hh = protowire.AppendTag(hh, inHeadersEnd, protowire.VarintType)
	hh = protowire.AppendVarint(hh, 300) // any non-zero varint is true
	msg := protowire.AppendTag(unknown(nil), inResponseHeaders, protowire.BytesType)
	msg = protowire.AppendBytes(msg, hh)
	msg = protowire.AppendTag(msg, inRequestBody, protowire.VarintType) // not a message: unknown
	msg = protowire.AppendVarint(msg, 5)
	msgs["unknown fields everywhere"] = msg
	msgs["group"] = protowire.AppendTag(protowire.AppendTag(msg, 97, protowire.StartGroupType), 97, protowire.EndGroupType)

	bad := protowire.AppendTag(nil, inKey, protowire.BytesType)
	bad = protowire.AppendString(bad, "k\xff")
	bad = protowire.AppendBytes(protowire.AppendTag(nil, inHeaderValue, protowire.BytesType), bad)
	bad = protowire.AppendBytes(protowire.AppendTag(nil, inHeaders, protowire.BytesType), bad)
	msgs["key not UTF-8"] = protowire.AppendBytes(protowire.AppendTag(nil, inRequestHeaders, protowire.BytesType), bad)
	// A claim that is not UTF-8, on a chunk: Struct.fields{"k": Value{string_value}}.
	badValue := protowire.AppendBytes(protowire.AppendTag(nil, valueString, protowire.BytesType), []byte("\xff"))
	badEntry := protowire.AppendString(protowire.AppendTag(nil, mapKey, protowire.BytesType), "k")
	badEntry = protowire.AppendBytes(protowire.AppendTag(badEntry, mapValue, protowire.BytesType), badValue)
	badStruct := protowire.AppendBytes(protowire.AppendTag(nil, structFields, protowire.BytesType), badEntry)
	badMeta := protowire.AppendString(protowire.AppendTag(nil, mapKey, protowire.BytesType), "ns")
	badMeta = protowire.AppendBytes(protowire.AppendTag(badMeta, mapValue, protowire.BytesType), badStruct)
	badMeta = protowire.AppendBytes(protowire.AppendTag(nil, metaFilter, protowire.BytesType), badMeta)
	chunk := pbreadtest.Marshal(t, body(true, "data: x\n\n", false))
	msgs["claim not UTF-8, on a chunk"] = protowire.AppendBytes(protowire.AppendTag(chunk, inMetadataContext, protowire.BytesType), badMeta)
	// Attributes built by hand: the map and oneof rules protobuf-go
	// applies, which connectionOf must follow.
	bytesField := func(b []byte, num fieldNumber, v []byte) []byte {
		return protowire.AppendBytes(protowire.AppendTag(b, num, protowire.BytesType), v)
	}
	strVal := func(v string) []byte { return bytesField(nil, valueString, []byte(v)) }
	numVal := func(v float64) []byte {
		return protowire.AppendFixed64(protowire.AppendTag(nil, valueNumber, protowire.Fixed64Type), math.Float64bits(v))
	}
	entry := func(parts ...[]byte) []byte { return slices.Concat(parts...) }
	key := func(k string) []byte { return bytesField(nil, mapKey, []byte(k)) }
	val := func(v []byte) []byte { return bytesField(nil, mapValue, v) }
	withAttrs := func(fields ...[]byte) []byte {
		var st []byte
		for _, f := range fields {
			st = bytesField(st, structFields, f)
		}
		m := bytesField(nil, inRequestHeaders, nil)
		return bytesField(m, inAttributes, entry(key(identity.AttributesNamespace), val(st)))
	}
	msgs["attribute: key after value"] = withAttrs(entry(val(strVal("10.0.0.9:1")), key(identity.AttrSourceAddress)))
	msgs["attribute: no value"] = withAttrs(key(identity.AttrSourcePort), key(identity.AttrRouteName))
	msgs["attribute: values merge, the last kind wins"] = withAttrs(
		entry(key(identity.AttrSourceAddress), val(strVal("a")), val(numVal(3))),
		entry(key(identity.AttrRouteName), val(numVal(3)), val(strVal("r"))),
		entry(key(identity.AttrSourcePort), val(strVal("x")), val(numVal(8080))))
	msgs["attribute: number as a varint"] = withAttrs(entry(key(identity.AttrSourcePort),
		val(protowire.AppendVarint(protowire.AppendTag(nil, valueNumber, protowire.VarintType), 5))))
	msgs["attribute: not a number"] = withAttrs(entry(key(identity.AttrSourcePort), val(numVal(math.NaN()))))
	msgs["attribute: other kinds"] = withAttrs(
		entry(key(identity.AttrSourceAddress), val(slices.Concat(strVal("a"), protowire.AppendVarint(protowire.AppendTag(nil, valueBool, protowire.VarintType), 1)))),
		entry(key(identity.AttrRouteName), val(slices.Concat(strVal("r"), bytesField(nil, valueList, nil)))),
		entry(key(identity.AttrPeerURISAN), val(slices.Concat(strVal("p"), protowire.AppendVarint(protowire.AppendTag(nil, valueNull, protowire.VarintType), 0)))))
	msgs["attribute: namespace entry without a value"] = slices.Concat(withAttrs(entry(key(identity.AttrRouteName), val(strVal("r")))),
		bytesField(nil, inAttributes, key(identity.AttributesNamespace)))
	// Strings that are not UTF-8 in the other places a check must look:
	// a typed metadata's type URL, a claim's key, a string in a list.
	onChunk := func(meta []byte) []byte { return bytesField(slices.Clone(chunk), inMetadataContext, meta) }
	anyURL := bytesField(nil, anyTypeURL, []byte("type.googleapis.com/\xff"))
	msgs["type URL not UTF-8, on a chunk"] = onChunk(bytesField(nil, metaTyped, entry(key("t"), val(anyURL))))
	withClaim := func(field []byte) []byte {
		return onChunk(bytesField(nil, metaFilter, entry(key("ns"), val(bytesField(nil, structFields, field)))))
	}
	msgs["claim key not UTF-8, on a chunk"] = withClaim(entry(key("k\xff"), val(strVal("v"))))
	list := bytesField(nil, valueList, bytesField(nil, 1, strVal("\xff"))) // ListValue.values[0]
	msgs["list string not UTF-8, on a chunk"] = withClaim(entry(key("k"), val(list)))
	badConfig := protowire.AppendTag(nil, inProtocolConfig, protowire.BytesType)
	msgs["protocol_config malformed"] = protowire.AppendBytes(badConfig, []byte{0x08})
	full := pbreadtest.Marshal(t, first)
	msgs["truncated"] = full[:len(full)-3]
	msgs["end group alone"] = protowire.AppendTag(nil, 5, protowire.EndGroupType)
	msgs["field zero"] = []byte{0x00, 0x01}
	return msgs
}

func TestFrameMatchesProtobufGo(t *testing.T) {
	for name, b := range frameMessages(t) {
		t.Run(name, func(t *testing.T) { checkFrame(t, b) })
	}
}

func TestFrameRefuses(t *testing.T) {
	msgs := frameMessages(t)
	for _, name := range []string{"key not UTF-8", "protocol_config malformed", "truncated", "end group alone", "field zero", "claim not UTF-8, on a chunk",
		"type URL not UTF-8, on a chunk", "claim key not UTF-8, on a chunk", "list string not UTF-8, on a chunk"} {
		var f frame
		if err := f.decode(msgs[name]); err == nil {
			t.Errorf("%s: decoded without error", name)
		}
	}
}

// TestFrameBodyCapacity shows that appending to a body cannot write over
// the bytes after it in the message.
func TestFrameBodyCapacity(t *testing.T) {
	b := pbreadtest.Marshal(t, &extprocv3.ProcessingRequest{
		Request:        &extprocv3.ProcessingRequest_RequestBody{RequestBody: &extprocv3.HttpBody{Body: []byte("body"), EndOfStream: true}},
		ProtocolConfig: &extprocv3.ProtocolConfiguration{RequestBodyMode: filterv3.ProcessingMode_BUFFERED},
	})
	var f frame
	if err := f.decode(b); err != nil {
		t.Fatal(err)
	}
	before := slices.Clone(b)
	_ = append(f.body, strings.Repeat("x", 16)...)
	if !slices.Equal(before, b) {
		t.Fatal("appending to the body changed the message")
	}
}

// TestResponseChunksShareABuffer reads messages through the codec, as
// gRPC hands them over: a response's chunks, which are only read until
// the next message, share one buffer, and nothing else goes into it.
func TestResponseChunksShareABuffer(t *testing.T) {
	c := codec{encoding.GetCodecV2("proto")}
	read := func(f *frame, m *extprocv3.ProcessingRequest) {
		t.Helper()
		if err := c.Unmarshal(mem.BufferSlice{mem.SliceBuffer(pbreadtest.Marshal(t, m))}, f); err != nil {
			t.Fatal(err)
		}
	}
	chunk := func(s string) *extprocv3.ProcessingRequest {
		return &extprocv3.ProcessingRequest{Request: &extprocv3.ProcessingRequest_ResponseBody{
			ResponseBody: &extprocv3.HttpBody{Body: []byte(s)}}}
	}
	var f frame
	read(&f, requestHeadersMessage(hv(":path", "/v1/chat/completions")))
	headers := f.headers
	read(&f, chunk("data: one\n\n"))
	first := unsafe.SliceData(f.body)
	read(&f, chunk("data: two\n\n"))
	if string(f.body) != "data: two\n\n" || unsafe.SliceData(f.body) != first {
		t.Fatalf("the second chunk %q is not in the first one's buffer", f.body)
	}
	if headers[0].Value != "/v1/chat/completions" {
		t.Fatalf("the request's headers changed to %v", headers)
	}

	// A message that sets the oneof to a response body and then to
	// headers keeps its headers, as any headers message does.
	b := append(pbreadtest.Marshal(t, chunk("data: three\n\n")),
		pbreadtest.Marshal(t, &extprocv3.ProcessingRequest{Request: &extprocv3.ProcessingRequest_ResponseHeaders{
			ResponseHeaders: &extprocv3.HttpHeaders{Headers: &corev3.HeaderMap{Headers: []*corev3.HeaderValue{hv("x-kept", "yes")}}}}})...)
	if err := c.Unmarshal(mem.BufferSlice{mem.SliceBuffer(b)}, &f); err != nil {
		t.Fatal(err)
	}
	if f.kind != inResponseHeaders {
		t.Fatalf("kind %d, want response headers", f.kind)
	}
	kept := f.headers
	// A chunk of the same size (four bytes of framing around its body)
	// would land in the buffer that message was read into.
	read(&f, chunk(strings.Repeat("x", len(b)-4)))
	if kept[0].Value != "yes" {
		t.Fatalf("headers read from the chunk buffer changed to %q", kept[0].Value)
	}
}

// TestFrameAllocations holds the reader to what it is for: a headers
// message costs at most its headers' array, and a body nothing.
func TestFrameAllocations(t *testing.T) {
	msgs := frameMessages(t)
	for name, most := range map[string]float64{"first message": 1, "request body": 0, "response chunk": 0,
		"chunk, empty metadata": 0, "chunk, forwarded claims": 0} {
		b := msgs[name]
		var f frame
		got := testing.AllocsPerRun(100, func() {
			f.headers = nil
			if err := f.decode(b); err != nil {
				t.Fatal(err)
			}
		})
		if got > most {
			t.Errorf("%s: %v allocations, want at most %v", name, got, most)
		}
	}
}

func FuzzFrame(f *testing.F) {
	for _, b := range frameMessages(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) { checkFrame(t, b) })
}

func BenchmarkFrame(b *testing.B) {
	msgs := frameMessages(b)
	for _, name := range []string{"first message", "request body", "response headers", "response chunk",
		"metadata and attributes", "chunk, empty metadata", "chunk, forwarded claims"} {
		m := msgs[name]
		b.Run(strings.ReplaceAll(name, " ", "_"), func(b *testing.B) {
			b.Run("frame", func(b *testing.B) {
				var f frame
				b.ReportAllocs()
				for b.Loop() {
					f.headers = f.headers[:0]
					if err := f.decode(m); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("protobuf-go", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					var p extprocv3.ProcessingRequest
					if err := proto.Unmarshal(m, &p); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

// TestFrameNestingLimit: metadata and attributes nested around
// protobuf-go's recursion limit are refused exactly where protobuf-go
// refuses them, on the messages whose metadata is only checked and on
// the request's headers.
func TestFrameNestingLimit(t *testing.T) {
	shapes := map[string]func(*structpb.Struct) *extprocv3.ProcessingRequest{
		"metadata on a chunk": func(s *structpb.Struct) *extprocv3.ProcessingRequest {
			return &extprocv3.ProcessingRequest{Request: &extprocv3.ProcessingRequest_ResponseBody{ResponseBody: &extprocv3.HttpBody{}},
				MetadataContext: &corev3.Metadata{FilterMetadata: map[string]*structpb.Struct{"ns": s}}}
		},
		"attributes on a chunk": func(s *structpb.Struct) *extprocv3.ProcessingRequest {
			return &extprocv3.ProcessingRequest{Request: &extprocv3.ProcessingRequest_ResponseBody{ResponseBody: &extprocv3.HttpBody{}},
				Attributes: map[string]*structpb.Struct{identity.AttributesNamespace: s}}
		},
		"attributes with the request's headers": func(s *structpb.Struct) *extprocv3.ProcessingRequest {
			m := requestHeadersMessage(hv(":path", "/v1/models"))
			m.Attributes = map[string]*structpb.Struct{identity.AttributesNamespace: s}
			return m
		},
	}
	newRequest := func() proto.Message { return &extprocv3.ProcessingRequest{} }
	for name, shape := range shapes {
		for _, list := range []bool{false, true} {
			wire := func(levels int) []byte { return pbreadtest.Marshal(t, shape(pbreadtest.Nested(levels, list))) }
			pbreadtest.AroundLimit(t, newRequest, wire, func(offset int, b []byte) {
				t.Run(fmt.Sprintf("%s/list=%v/limit%+d", name, list, offset), func(t *testing.T) { checkFrame(t, b) })
			})
		}
	}
}

// TestCodecSendsEncodedAnswers checks that an answer Sluice encoded goes
// out as its bytes, small or large enough for gRPC's pool, and that any
// other message still goes through protobuf-go.
func TestCodecSendsEncodedAnswers(t *testing.T) {
	c := codec{encoding.GetCodecV2("proto")}
	for _, n := range []int{0, 40, 4 << 10} {
		e := &encoded{b: []byte(strings.Repeat("a", n))}
		data, err := c.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		e.b = append(e.b[:0], strings.Repeat("b", n)...) // the stream's next answer
		if got := data.Materialize(); string(got) != strings.Repeat("a", n) {
			t.Fatalf("%d bytes: sent %q", n, got)
		}
		if _, plain := data[0].(mem.SliceBuffer); plain {
			t.Errorf("%d bytes: sent from a buffer gRPC does not give back to its pool", n)
		}
		data.Free()
		// The bytes and gRPC's buffer header come from pools: only the
		// one-element slice gRPC takes is allocated (a copy of a small
		// answer was three allocations).
		if allocs := testing.AllocsPerRun(100, func() {
			data, _ := c.Marshal(e)
			data.Free()
		}); allocs > 1 {
			t.Errorf("%d bytes: %v allocations per answer, want 1", n, allocs)
		}
	}
	m := &extprocv3.ProcessingResponse{ModeOverride: &filterv3.ProcessingMode{ResponseBodyMode: filterv3.ProcessingMode_STREAMED}}
	data, err := c.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if want := pbreadtest.Marshal(t, m); !slices.Equal(data.Materialize(), want) {
		t.Fatalf("a message: sent % x, want % x", data.Materialize(), want)
	}
}
