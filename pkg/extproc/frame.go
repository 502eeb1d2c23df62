package extproc

import (
	"errors"
	"unicode/utf8"
	"unsafe"

	extprocv3 "github.com/envoyproxy/go-control-plane/envoy/service/ext_proc/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/sluice-gw/sluice/pkg/pipeline"
)

// Envoy's messages are read straight from the wire into a frame the stream
// reuses, the way answers are written. protobuf-go's generated decoder
// builds a message, a wrapper for the oneof, a HeaderMap and, per header,
// a HeaderValue, a key and a value: 66 allocations and about 5 µs for the
// four messages of a plain request, on every request, before Sluice has
// read a byte of it. A frame costs one allocation per message, the copy
// of its bytes that headers and bodies then point into.
//
// The fields Envoy sends only when asked to (metadata_context,
// attributes), and the rare messages (trailers), are still decoded by
// protobuf-go, from the same bytes. FuzzFrame holds the reader to
// protobuf-go: the same messages accepted, the same values read.

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
	// filterMetadata and attributes are nil unless Envoy sent them.
	filterMetadata map[string]*structpb.Struct
	attributes     map[string]*structpb.Struct
}

var (
	errTruncated = errors.New("ext_proc message: truncated or malformed field")
	errUTF8      = errors.New("ext_proc message: header string is not valid UTF-8")
)

// reader reads a message field by field: a message, string or bytes
// field's contents, or a varint's value. Other wire types are checked
// and skipped.
type reader struct {
	b      []byte
	num    fieldNumber
	typ    protowire.Type
	bytes  []byte
	varint uint64
	// err is set once the message is found malformed.
	err error
}

// next reads the next field, reporting false at the end of the message
// or on a malformed one.
func (r *reader) next() bool {
	if len(r.b) == 0 || r.err != nil {
		return false
	}
	num, typ, n := protowire.ConsumeTag(r.b)
	// protowire leaves refusing numbers above the largest valid one to
	// its caller, as protobuf-go does.
	if n < 0 || !num.IsValid() {
		r.err = errTruncated
		return false
	}
	r.num, r.typ = num, typ
	var m int
	switch typ {
	case protowire.BytesType:
		r.bytes, m = protowire.ConsumeBytes(r.b[n:])
	case protowire.VarintType:
		r.varint, m = protowire.ConsumeVarint(r.b[n:])
	default:
		m = protowire.ConsumeFieldValue(num, typ, r.b[n:])
	}
	if m < 0 {
		r.err = errTruncated
		return false
	}
	r.b = r.b[n+m:]
	return true
}

// is reports whether the field read is field num of type typ. A known
// field number with another wire type is an unknown field to protobuf-go.
func (r *reader) is(num fieldNumber, typ protowire.Type) bool { return r.num == num && r.typ == typ }

// decode reads b, which the frame keeps. On error the frame holds no
// message.
func (f *frame) decode(b []byte) error {
	f.kind, f.headers, f.body, f.end = 0, f.headers[:0], nil, false
	f.filterMetadata, f.attributes = nil, nil
	slow := false
	r := reader{b: b}
	for r.next() {
		if r.typ != protowire.BytesType {
			continue
		}
		switch r.num {
		case inRequestHeaders, inResponseHeaders:
			f.switchTo(r.num)
			r.err = f.httpHeaders(r.bytes, &slow)
		case inRequestBody, inResponseBody:
			f.switchTo(r.num)
			r.err = f.httpBody(r.bytes)
		case inRequestTrailers, inResponseTrailers:
			// Trailers are answered without being read; protobuf-go
			// checks them below.
			f.switchTo(r.num)
			slow = slow || len(r.bytes) > 0
		case inMetadataContext, inAttributes:
			slow = true
		case inProtocolConfig, inFlowControlInit, inWindowUpdate:
			// Messages of enums, booleans and integers only: well formed
			// if their fields are. Other fields are unknown here, as to
			// protobuf-go, and kept unread.
			r.err = wellFormed(r.bytes)
		}
	}
	if r.err != nil {
		f.kind = 0
		return r.err
	}
	if slow {
		return f.decodeRest(b)
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

// decodeRest reads the whole message again with protobuf-go, for what
// the fast path leaves to it: the metadata and attributes Envoy sends with
// a stream's first message when configured to, and trailers.
func (f *frame) decodeRest(msg []byte) error {
	var m extprocv3.ProcessingRequest
	if err := proto.Unmarshal(msg, &m); err != nil {
		f.kind = 0
		return err
	}
	f.filterMetadata = m.GetMetadataContext().GetFilterMetadata()
	f.attributes = m.GetAttributes()
	return nil
}

func (f *frame) httpHeaders(b []byte, slow *bool) error {
	r := reader{b: b}
	for r.next() {
		switch {
		case r.is(inHeaders, protowire.BytesType):
			r.err = f.headerMap(r.bytes)
		case r.is(inHeadersEnd, protowire.VarintType):
			f.end = r.varint != 0
		case r.is(inHeadersAttributes, protowire.BytesType):
			*slow = true
		}
	}
	return r.err
}

func (f *frame) headerMap(b []byte) error {
	// One allocation for the headers, not one per doubling. (Not
	// slices.Grow, which makes two under the race detector.)
	if n := countFields(b, inHeaderValue); cap(f.headers)-len(f.headers) < n {
		f.headers = append(make(pipeline.Headers, 0, len(f.headers)+n), f.headers...)
	}
	r := reader{b: b}
	for r.next() {
		if r.is(inHeaderValue, protowire.BytesType) {
			h, err := headerValue(r.bytes)
			if err != nil {
				return err
			}
			f.headers = append(f.headers, h)
		}
	}
	return r.err
}

// headerValue reads a HeaderValue. Its value is raw_value when that is
// set, value otherwise, as Envoy fills one or the other.
func headerValue(b []byte) (pipeline.Header, error) {
	var key, value, raw []byte
	r := reader{b: b}
	for r.next() {
		switch {
		case r.is(inKey, protowire.BytesType):
			key = r.bytes
		case r.is(inValue, protowire.BytesType):
			value = r.bytes
		case r.is(inRawValue, protowire.BytesType):
			raw = r.bytes
			continue
		default:
			continue
		}
		// key and value are proto3 strings: protobuf-go refuses a
		// message with one that is not UTF-8, even if a later one
		// replaces it.
		if !utf8.Valid(r.bytes) {
			return pipeline.Header{}, errUTF8
		}
	}
	if r.err != nil {
		return pipeline.Header{}, r.err
	}
	if len(raw) > 0 {
		value = raw
	}
	return pipeline.Header{Key: alias(key), Value: alias(value)}, nil
}

func (f *frame) httpBody(b []byte) error {
	r := reader{b: b}
	for r.next() {
		switch {
		case r.is(inBody, protowire.BytesType):
			f.body = r.bytes[:len(r.bytes):len(r.bytes)]
		case r.is(inBodyEnd, protowire.VarintType):
			f.end = r.varint != 0
		}
	}
	return r.err
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

// wellFormed reports whether b is a sequence of whole fields.
func wellFormed(b []byte) error {
	r := reader{b: b}
	for r.next() {
	}
	return r.err
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
	// gRPC reuses data's buffers once this returns; the frame's headers
	// and body live as long as the stream.
	b := make([]byte, data.Len())
	data.CopyTo(b)
	return f.decode(b)
}

// ServerOption returns the option a gRPC server must be created with for
// Sluice's Server to be registered on it: the codec that reads Envoy's
// messages into frames. Without it, every stream fails on its first
// message.
func ServerOption() grpc.ServerOption {
	return grpc.ForceServerCodecV2(codec{encoding.GetCodecV2("proto")})
}
