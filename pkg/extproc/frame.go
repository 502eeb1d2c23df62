package extproc

import (
	"bytes"
	"unsafe"

	extprocv3 "github.com/envoyproxy/go-control-plane/envoy/service/ext_proc/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/sluice-gw/sluice/pkg/identity"
	"github.com/sluice-gw/sluice/pkg/pbread"
	"github.com/sluice-gw/sluice/pkg/pipeline"
)

// Envoy's messages are read straight from the wire into a frame the stream
// reuses, the way answers are written. protobuf-go's generated decoder
// builds a message, a wrapper for the oneof, a HeaderMap and, per header,
// a HeaderValue, a key and a value: 52 allocations and about 3.5 µs for
// four messages like a plain request's (BenchmarkFrame), on every
// request, before Sluice has read a byte of it. A frame costs one allocation per message, the copy
// of its bytes that headers and bodies then point into.
//
// The four attributes Sluice reads come with the request's headers and
// are read in place too (validate.go); the metadata forwarded with them
// (a JWT's claims) is decoded by protobuf-go, from its own bytes. On
// other messages, where Sluice does not use them, both are only checked.
// Rare messages (trailers) go to protobuf-go whole. FuzzFrame holds the
// reader to protobuf-go: the same messages accepted, the same values read.

// Field numbers of ProcessingRequest and the messages in it; wire_test.go
// checks them against the descriptors.
const (
	// ProcessingRequest: the request oneof.
	inRequestHeaders   fieldNumber = 2
	inResponseHeaders  fieldNumber = 3
	inRequestBody      fieldNumber = 4
	inResponseBody     fieldNumber = 5
	inRequestTrailers  fieldNumber = 6
	inResponseTrailers fieldNumber = 7
	// ProcessingRequest: what comes with the request.
	inMetadataContext fieldNumber = 8
	inAttributes      fieldNumber = 9
	inProtocolConfig  fieldNumber = 11
	inFlowControlInit fieldNumber = 12
	inWindowUpdate    fieldNumber = 13
	// HttpHeaders.
	inHeaders           fieldNumber = 1
	inHeadersAttributes fieldNumber = 2
	inHeadersEnd        fieldNumber = 3
	// HttpBody.
	inBody    fieldNumber = 1
	inBodyEnd fieldNumber = 2
	// HeaderMap.headers.
	inHeaderValue fieldNumber = 1
	// HeaderValue.
	inKey      fieldNumber = 1
	inValue    fieldNumber = 2
	inRawValue fieldNumber = 3
)

// frame is one ProcessingRequest as Sluice reads it. A stream reuses its
// frame for every message, but each message's bytes are its own: the
// request's headers and body point into them and are kept until the
// stream ends.
type frame struct {
	// kind is the field of the request oneof that was set, 0 if none.
	kind fieldNumber
	// headers are a headers message's, in the order sent. Values alias
	// the message's bytes, which nothing writes to after decoding.
	headers pipeline.Headers
	// body is a body message's; its capacity ends with it, so an append
	// to it cannot run into the bytes after it.
	body []byte
	// end is end_of_stream, of headers or body.
	end bool
	// filterMetadata and conn are empty unless Envoy sent them with the
	// request's headers.
	filterMetadata map[string]*structpb.Struct
	conn           identity.Connection
	// context holds the non-empty metadata_context fields of the
	// message, tags included, in a buffer the frame reuses.
	context []byte
	// chunk holds a response body message's bytes, reused for the next.
	chunk []byte
}

// decode reads b, which the frame keeps. On error the frame holds no
// message.
func (f *frame) decode(b []byte) error {
	f.kind, f.headers, f.body, f.end = 0, f.headers[:0], nil, false
	f.filterMetadata, f.conn, f.context = nil, identity.Connection{}, f.context[:0]
	slow, attributes := false, false
	r := pbread.Reader{B: b}
	for r.Next() {
		if r.Typ != protowire.BytesType {
			continue
		}
		switch r.Num {
		case inRequestHeaders, inResponseHeaders:
			f.switchTo(r.Num)
			r.Err = f.httpHeaders(r.Bytes, &slow)
		case inRequestBody, inResponseBody:
			f.switchTo(r.Num)
			r.Err = f.httpBody(r.Bytes)
		case inRequestTrailers, inResponseTrailers:
			// Trailers are answered without being read; protobuf-go
			// checks them.
			f.switchTo(r.Num)
			slow = slow || len(r.Bytes) > 0
		case inMetadataContext:
			// Envoy sends forwarded metadata with every message, empty
			// when there is none, which adds nothing. The rest is kept
			// aside, with its tags, for afterwards.
			if len(r.Bytes) > 0 {
				f.context = protowire.AppendBytes(protowire.AppendTag(f.context, r.Num, protowire.BytesType), r.Bytes)
			}
		case inAttributes:
			// One entry of the attributes, which come with a direction's
			// first message: checked here, read below.
			r.Err = validAttribute(r.Bytes)
			attributes = true
		case inProtocolConfig, inFlowControlInit, inWindowUpdate:
			// Messages of enums, booleans and integers only: well formed
			// if their fields are. Other fields are unknown here, as to
			// protobuf-go, and kept unread.
			r.Err = pbread.WellFormed(r.Bytes)
		}
	}
	if r.Err != nil {
		f.kind = 0
		return r.Err
	}
	if slow {
		return f.protobufGo(b)
	}
	if f.kind == inRequestHeaders {
		if attributes {
			f.conn = connectionOf(b)
		}
		if len(f.context) > 0 {
			// Forwarded metadata (a JWT's claims) is handed on as
			// Structs; protobuf-go checks it as it decodes it.
			return f.protobufGo(f.context)
		}
		return nil
	}
	// Elsewhere forwarded metadata is only checked, as protobuf-go
	// would: Sluice does not use it.
	if err := validContext(f.context); err != nil {
		f.kind = 0
		return err
	}
	return nil
}

// switchTo starts a message of the oneof field num. A field repeated
// merges into the message it already holds, as protobuf-go reads it.
func (f *frame) switchTo(num fieldNumber) {
	if f.kind != num {
		f.kind, f.headers, f.body, f.end = num, f.headers[:0], nil, false
	}
}

// protobufGo decodes msg with protobuf-go, for what the fast path leaves
// to it: the metadata forwarded with the request's headers, from the
// context's own bytes (which hold no attributes); or, for trailers and
// the attributes older Envoys sent inside HttpHeaders, the whole message.
func (f *frame) protobufGo(msg []byte) error {
	var m extprocv3.ProcessingRequest
	if err := proto.Unmarshal(msg, &m); err != nil {
		f.kind = 0
		return err
	}
	if f.kind == inRequestHeaders {
		f.filterMetadata = m.GetMetadataContext().GetFilterMetadata()
		if m.Attributes != nil {
			f.conn = identity.ConnectionFrom(m.GetAttributes())
		}
	}
	return nil
}

func (f *frame) httpHeaders(b []byte, slow *bool) error {
	r := pbread.Reader{B: b}
	for r.Next() {
		switch {
		case r.Is(inHeaders, protowire.BytesType):
			r.Err = f.headerMap(r.Bytes)
		case r.Is(inHeadersEnd, protowire.VarintType):
			f.end = r.Varint != 0
		case r.Is(inHeadersAttributes, protowire.BytesType):
			*slow = true
		}
	}
	return r.Err
}

func (f *frame) headerMap(b []byte) error {
	// One allocation for the headers, not one per doubling. (Not
	// slices.Grow, which makes two under the race detector.)
	if n := countFields(b, inHeaderValue); cap(f.headers)-len(f.headers) < n {
		f.headers = append(make(pipeline.Headers, 0, len(f.headers)+n), f.headers...)
	}
	r := pbread.Reader{B: b}
	for r.Next() {
		if r.Is(inHeaderValue, protowire.BytesType) {
			h, err := headerValue(r.Bytes)
			if err != nil {
				return err
			}
			f.headers = append(f.headers, h)
		}
	}
	return r.Err
}

// headerValue reads a HeaderValue. Its value is raw_value when that is
// set, value otherwise, as Envoy fills one or the other.
func headerValue(b []byte) (pipeline.Header, error) {
	var key, value, raw []byte
	r := pbread.Reader{B: b}
	for r.Next() {
		switch {
		case r.Is(inKey, protowire.BytesType):
			key = r.Bytes
		case r.Is(inValue, protowire.BytesType):
			value = r.Bytes
		case r.Is(inRawValue, protowire.BytesType):
			raw = r.Bytes
			continue
		default:
			continue
		}
		// key and value are proto3 strings: protobuf-go refuses a
		// message with one that is not UTF-8, even if a later one
		// replaces it.
		if err := pbread.ValidString(r.Bytes); err != nil {
			return pipeline.Header{}, err
		}
	}
	if r.Err != nil {
		return pipeline.Header{}, r.Err
	}
	if len(raw) > 0 {
		value = raw
	}
	return pipeline.Header{Key: alias(key), Value: alias(value)}, nil
}

func (f *frame) httpBody(b []byte) error {
	r := pbread.Reader{B: b}
	for r.Next() {
		switch {
		case r.Is(inBody, protowire.BytesType):
			f.body = r.Bytes[:len(r.Bytes):len(r.Bytes)]
		case r.Is(inBodyEnd, protowire.VarintType):
			f.end = r.Varint != 0
		}
	}
	return r.Err
}

// countFields returns how many fields num holds in message b, or 0 if b is
// malformed, which its decoding then reports.
func countFields(b []byte, num fieldNumber) int {
	c := 0
	for len(b) > 0 {
		n, _, m := protowire.ConsumeField(b)
		if m < 0 {
			return 0
		}
		if n == num {
			c++
		}
		b = b[m:]
	}
	return c
}

// alias returns b as a string without copying. The frame's bytes are
// never written after decoding, and the string keeps them alive.
func alias(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(unsafe.SliceData(b), len(b)) //nolint:gosec // read-only alias of a decoded message; see above
}

// codec reads Envoy's messages into frames itself and leaves every other
// message, and every answer, to gRPC's proto codec.
type codec struct{ encoding.CodecV2 }

func (c codec) Unmarshal(data mem.BufferSlice, v any) error {
	f, ok := v.(*frame)
	if !ok {
		return c.CodecV2.Unmarshal(data, v)
	}
	// gRPC reuses data's buffers once this returns. Header values alias
	// the bytes and live as long as the stream, so a message gets bytes of
	// its own, but for a response body: it is only read until the next
	// message (see pipeline.ResponseStage), and a streamed response's
	// chunks share one buffer.
	n := data.Len()
	chunk := len(data) == 1 && oneofField(data[0].ReadOnlyData()) == inResponseBody
	var b []byte
	if chunk {
		if cap(f.chunk) < n {
			f.chunk = make([]byte, n)
		}
		b = f.chunk[:n]
	} else {
		b = make([]byte, n)
	}
	data.CopyTo(b)
	err := f.decode(b)
	if chunk && err == nil && f.kind != inResponseBody {
		// The oneof was set again, to something else: that lives on.
		return f.decode(bytes.Clone(b))
	}
	return err
}

// oneofField is the field of the request oneof that msg sets first, or 0.
// Envoy writes it first, so this reads one tag.
func oneofField(msg []byte) fieldNumber {
	for len(msg) > 0 {
		num, typ, n := protowire.ConsumeTag(msg)
		if n < 0 {
			return 0
		}
		if num >= inRequestHeaders && num <= inResponseTrailers {
			return num
		}
		m := protowire.ConsumeFieldValue(num, typ, msg[n:])
		if m < 0 {
			return 0
		}
		msg = msg[n+m:]
	}
	return 0
}

// Marshal sends an answer Sluice encoded itself as it is, and hands any
// other message to gRPC's proto codec. gRPC writes the bytes after Send
// returns, while the stream goes on to reuse its answer, so they are
// copied, into a buffer of gRPC's pool that it gives back once written.
// gRPC pools only buffers above its pooling threshold (1 KB), and most
// answers are smaller (a translated SSE chunk is about 300 bytes), so a
// small answer takes the front of a buffer just large enough to be
// pooled: otherwise each answer would be copied into a slice of its own,
// about 13 KB of garbage per 50-chunk stream.
func (c codec) Marshal(v any) (mem.BufferSlice, error) {
	e, ok := v.(*encoded)
	if !ok {
		return c.CodecV2.Marshal(v)
	}
	pool := mem.DefaultBufferPool()
	buf := pool.Get(max(len(e.b), poolMin))
	*buf = (*buf)[:copy(*buf, e.b)]
	return mem.BufferSlice{mem.NewBuffer(buf, pool)}, nil
}

// poolMin is a length gRPC pools a buffer of: a power of two above its
// threshold.
var poolMin = func() int {
	n := 1
	for mem.IsBelowBufferPoolingThreshold(n) {
		n *= 2
	}
	return n
}()

// ServerOption returns the option a gRPC server must be created with for
// Sluice's Server to be registered on it: the codec that reads Envoy's
// messages into frames. Without it, every stream fails on its first
// message.
func ServerOption() grpc.ServerOption {
	return grpc.ForceServerCodecV2(codec{encoding.GetCodecV2("proto")})
}
