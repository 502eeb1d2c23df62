package loadgen

import (
	"errors"
	"fmt"
	"unicode/utf8"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	filterv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/ext_proc/v3"
	extprocv3 "github.com/envoyproxy/go-control-plane/envoy/service/ext_proc/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/sluice-gw/sluice/pkg/pbread"
)

// The driver reads each ProcessingResponse straight from the wire, the
// way Envoy's C++ parser costs: every field is walked and checked, and
// nothing is allocated. protobuf-go's generic decoder allocates a Go value
// for every entry of a dynamic_metadata Struct (seven allocations and
// about 0.6 µs per entry), a cost of the Go client library, not of the
// server that sent the metadata, and one Envoy does not pay. Requests are
// still encoded by protobuf-go; both servers get the same ones.
// Decoding with protobuf-go instead is kept (Client.ProtoAnswers), to
// compare with runs made before.

// answer is what the driver needs from one ProcessingResponse, read in
// place from buf.
type answer struct {
	buf []byte // the message, reused across answers

	kind      protowire.Number // the response oneof's field, 0 if none
	override  bool             // mode_override was present
	bodyMode  filterv3.ProcessingMode_BodySendMode
	status    int    // immediate_response.status.code
	details   []byte // immediate_response.details, in buf
	localBody []byte // immediate_response.body, in buf
}

// Field numbers come from the generated descriptors, so the reader
// cannot drift from the protocol. A map entry numbers its key 1 and its
// value 2, as the protobuf encoding of maps does.
var (
	respRequestHeaders    = field(&extprocv3.ProcessingResponse{}, "request_headers")
	respResponseHeaders   = field(&extprocv3.ProcessingResponse{}, "response_headers")
	respRequestBody       = field(&extprocv3.ProcessingResponse{}, "request_body")
	respResponseBody      = field(&extprocv3.ProcessingResponse{}, "response_body")
	respRequestTrailers   = field(&extprocv3.ProcessingResponse{}, "request_trailers")
	respResponseTrailers  = field(&extprocv3.ProcessingResponse{}, "response_trailers")
	respImmediate         = field(&extprocv3.ProcessingResponse{}, "immediate_response")
	respDynamicMetadata   = field(&extprocv3.ProcessingResponse{}, "dynamic_metadata")
	respModeOverride      = field(&extprocv3.ProcessingResponse{}, "mode_override")
	respMessageTimeout    = field(&extprocv3.ProcessingResponse{}, "override_message_timeout")
	respStreamedImmediate = field(&extprocv3.ProcessingResponse{}, "streamed_immediate_response")
	respTypedMetadata     = field(&extprocv3.ProcessingResponse{}, "typed_dynamic_metadata")
	respWindowUpdate      = field(&extprocv3.ProcessingResponse{}, "server_window_update")

	headersResponse  = field(&extprocv3.HeadersResponse{}, "response")
	bodyResponse     = field(&extprocv3.BodyResponse{}, "response")
	trailersMutation = field(&extprocv3.TrailersResponse{}, "header_mutation")
	modeResponseBody = field(&filterv3.ProcessingMode{}, "response_body_mode")

	immStatus     = field(&extprocv3.ImmediateResponse{}, "status")
	immHeaders    = field(&extprocv3.ImmediateResponse{}, "headers")
	immBody       = field(&extprocv3.ImmediateResponse{}, "body")
	immGRPCStatus = field(&extprocv3.ImmediateResponse{}, "grpc_status")
	immDetails    = field(&extprocv3.ImmediateResponse{}, "details")
	statusCode    = field(&typev3.HttpStatus{}, "code")

	commonHeaderMutation = field(&extprocv3.CommonResponse{}, "header_mutation")
	commonBodyMutation   = field(&extprocv3.CommonResponse{}, "body_mutation")
	commonTrailers       = field(&extprocv3.CommonResponse{}, "trailers")
	bodyStreamed         = field(&extprocv3.BodyMutation{}, "streamed_response")

	mutationSet    = field(&extprocv3.HeaderMutation{}, "set_headers")
	mutationRemove = field(&extprocv3.HeaderMutation{}, "remove_headers")
	optionHeader   = field(&corev3.HeaderValueOption{}, "header")
	optionAppend   = field(&corev3.HeaderValueOption{}, "append")
	headerKey      = field(&corev3.HeaderValue{}, "key")
	headerValueStr = field(&corev3.HeaderValue{}, "value")
	mapHeaders     = field(&corev3.HeaderMap{}, "headers")
)

// field is the number of m's field called name.
func field(m proto.Message, name string) protowire.Number {
	d := m.ProtoReflect().Descriptor()
	f := d.Fields().ByName(protoreflect.Name(name))
	if f == nil {
		panic(fmt.Sprintf("loadgen: %s has no field %s", d.FullName(), name))
	}
	return f.Number()
}

// phaseField is the response field that answers each phase.
var phaseField = [NumPhases]protowire.Number{
	RequestHeaders: respRequestHeaders, RequestBody: respRequestBody,
	ResponseHeaders: respResponseHeaders, ResponseBody: respResponseBody,
}

var (
	errMalformed   = errors.New("malformed protobuf")
	errUnsupported = errors.New("a field this driver does not play")
)

// parse reads buf. Like protobuf-go it skips unknown fields and known
// fields of the wrong wire type, lets a later scalar win over an earlier
// one, merges repeated messages, starts a oneof afresh when its case
// changes, and refuses nesting past pbread.RecursionLimit. It refuses the
// fields the driver does not play (streamed immediate responses, message
// timeout overrides, typed metadata, flow control) rather than ignore
// what the server asked for.
func (a *answer) parse() error {
	a.kind, a.override, a.bodyMode, a.status, a.details, a.localBody = 0, false, 0, 0, nil, nil
	return walk(a.buf, func(n protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
		if typ != protowire.BytesType {
			return nil // a varint (request_drain, ...) or a mistyped field
		}
		switch n {
		case respRequestHeaders, respResponseHeaders:
			a.switchTo(n)
			return walkMessage(v, headersResponse, commonResponse)
		case respRequestBody, respResponseBody:
			a.switchTo(n)
			return walkMessage(v, bodyResponse, commonResponse)
		case respRequestTrailers, respResponseTrailers:
			a.switchTo(n)
			return walkMessage(v, trailersMutation, headerMutation)
		case respImmediate:
			a.switchTo(n)
			return a.immediate(v)
		case respDynamicMetadata:
			// The ProcessingResponse is level 1, its metadata level 2.
			return malformed(pbread.ValidStruct(v, 2))
		case respModeOverride:
			a.override = true
			return walk(v, func(n protowire.Number, typ protowire.Type, _ []byte, x uint64) error {
				if n == modeResponseBody && typ == protowire.VarintType {
					a.bodyMode = filterv3.ProcessingMode_BodySendMode(int32(x)) //nolint:gosec // protobuf truncates an int32 field's varint, and so must the reader
				}
				return nil
			})
		case respMessageTimeout, respStreamedImmediate, respTypedMetadata, respWindowUpdate:
			return fmt.Errorf("%w: field %d", errUnsupported, n)
		}
		return nil
	})
}

// switchTo makes n the oneof's case; a new case drops what an earlier
// one held.
func (a *answer) switchTo(n protowire.Number) {
	if a.kind != n {
		a.status, a.details, a.localBody = 0, nil, nil
	}
	a.kind = n
}

func (a *answer) immediate(b []byte) error {
	return walk(b, func(n protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
		if typ != protowire.BytesType {
			return nil
		}
		switch n {
		case immStatus:
			return walk(v, func(n protowire.Number, typ protowire.Type, _ []byte, x uint64) error {
				if n == statusCode && typ == protowire.VarintType {
					a.status = int(int32(x)) //nolint:gosec // as protobuf decodes an enum
				}
				return nil
			})
		case immHeaders:
			return headerMutation(v)
		case immBody:
			a.localBody = v
		case immGRPCStatus:
			return walk(v, noFields)
		case immDetails:
			if !utf8.Valid(v) {
				return errMalformed
			}
			a.details = v
		}
		return nil
	})
}

// commonResponse walks a CommonResponse.
func commonResponse(b []byte) error {
	return walk(b, func(n protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
		if typ != protowire.BytesType {
			return nil // status, clear_route_cache, or mistyped
		}
		switch n {
		case commonHeaderMutation:
			return headerMutation(v)
		case commonBodyMutation: // body, clear_body or streamed_response
			return walkMessage(v, bodyStreamed, func(v []byte) error { return walk(v, noFields) })
		case commonTrailers:
			return walkMessage(v, mapHeaders, headerValue)
		}
		return nil
	})
}

// headerMutation walks set_headers and remove_headers.
func headerMutation(b []byte) error {
	return walk(b, func(n protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
		if typ != protowire.BytesType {
			return nil
		}
		switch n {
		case mutationSet:
			return walk(v, func(n protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
				if typ != protowire.BytesType {
					return nil
				}
				switch n {
				case optionHeader:
					return headerValue(v)
				case optionAppend: // a BoolValue
					return walk(v, noFields)
				}
				return nil
			})
		case mutationRemove:
			if !utf8.Valid(v) {
				return errMalformed
			}
		}
		return nil
	})
}

// headerValue walks a HeaderValue: key and value are strings, raw_value
// is bytes.
func headerValue(b []byte) error {
	return walk(b, func(n protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
		if typ == protowire.BytesType && (n == headerKey || n == headerValueStr) && !utf8.Valid(v) {
			return errMalformed
		}
		return nil
	})
}

// walkMessage walks b, a message whose field n holds another message.
func walkMessage(b []byte, n protowire.Number, inner func([]byte) error) error {
	return malformed(pbread.Each(b, n, inner))
}

func noFields(protowire.Number, protowire.Type, []byte, uint64) error { return nil }

// walk calls f for every field of the message in b, with the contents of
// a length-delimited field or the value of a varint. Fixed-width fields
// and groups are checked and skipped.
func walk(b []byte, f func(n protowire.Number, typ protowire.Type, v []byte, x uint64) error) error {
	r := pbread.Reader{B: b}
	for r.Next() {
		if r.Typ == protowire.BytesType || r.Typ == protowire.VarintType {
			r.Err = f(r.Num, r.Typ, r.Bytes, r.Varint)
		}
	}
	return malformed(r.Err)
}

// malformed is err, as this package names a malformed answer.
func malformed(err error) error {
	if errors.Is(err, pbread.ErrMalformed) {
		return errMalformed
	}
	return err
}

// wireCodec sends requests as protobuf-go does and hands answers over as
// bytes when the destination is an *answer.
type wireCodec struct{ proto encoding.CodecV2 }

func newWireCodec() wireCodec { return wireCodec{proto: encoding.GetCodecV2("proto")} }

func (c wireCodec) Name() string { return c.proto.Name() }

func (c wireCodec) Marshal(v any) (mem.BufferSlice, error) { return c.proto.Marshal(v) }

func (c wireCodec) Unmarshal(data mem.BufferSlice, v any) error {
	a, ok := v.(*answer)
	if !ok {
		return c.proto.Unmarshal(data, v)
	}
	a.buf = a.buf[:0]
	for _, d := range data {
		a.buf = append(a.buf, d.ReadOnlyData()...)
	}
	return nil
}
