package loadgen

import (
	"errors"
	"fmt"
	"unicode/utf8"

	filterv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/ext_proc/v3"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
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

// ProcessingResponse field numbers.
const (
	respRequestHeaders    protowire.Number = 1
	respResponseHeaders   protowire.Number = 2
	respRequestBody       protowire.Number = 3
	respResponseBody      protowire.Number = 4
	respRequestTrailers   protowire.Number = 5
	respResponseTrailers  protowire.Number = 6
	respImmediate         protowire.Number = 7
	respDynamicMetadata   protowire.Number = 8
	respModeOverride      protowire.Number = 9
	respMessageTimeout    protowire.Number = 10
	respStreamedImmediate protowire.Number = 11
	respRequestDrain      protowire.Number = 12
	respTypedMetadata     protowire.Number = 13
	respWindowUpdate      protowire.Number = 14
)

// phaseField is the response field that answers each phase.
var phaseField = [NumPhases]protowire.Number{
	RequestHeaders: respRequestHeaders, RequestBody: respRequestBody,
	ResponseHeaders: respResponseHeaders, ResponseBody: respResponseBody,
}

var (
	errMalformed   = errors.New("malformed protobuf")
	errUnsupported = errors.New("a field this driver does not play")
)

// maxDepth bounds Struct nesting as protobuf-go's default does.
const maxDepth = 10000

// parse reads buf. Like protobuf-go it skips unknown fields and known
// fields of the wrong wire type, lets a later scalar win over an earlier
// one, merges repeated messages, and starts a oneof afresh when its case
// changes. It refuses the fields the driver does not play (streamed
// immediate responses, message timeout overrides, typed metadata, flow
// control) rather than ignore what the server asked for.
func (a *answer) parse() error {
	a.kind, a.override, a.bodyMode, a.status, a.details, a.localBody = 0, false, 0, 0, nil, nil
	return walk(a.buf, func(n protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
		switch n {
		case respRequestHeaders, respResponseHeaders, respRequestBody, respResponseBody:
			if typ != protowire.BytesType {
				return nil
			}
			a.switchTo(n)
			return walkMessage(v, 1, func(v []byte) error { return commonResponse(v) })
		case respRequestTrailers, respResponseTrailers:
			if typ != protowire.BytesType {
				return nil
			}
			a.switchTo(n)
			return walkMessage(v, 1, headerMutation)
		case respImmediate:
			if typ != protowire.BytesType {
				return nil
			}
			a.switchTo(n)
			return a.immediate(v)
		case respDynamicMetadata:
			if typ != protowire.BytesType {
				return nil
			}
			return structValue(v, 1)
		case respModeOverride:
			if typ != protowire.BytesType {
				return nil
			}
			a.override = true
			return walk(v, func(n protowire.Number, typ protowire.Type, _ []byte, x uint64) error {
				if n == 4 && typ == protowire.VarintType { // response_body_mode
					a.bodyMode = filterv3.ProcessingMode_BodySendMode(int32(x)) //nolint:gosec // protobuf truncates an int32 field's varint, and so must the reader
				}
				return nil
			})
		case respMessageTimeout, respStreamedImmediate, respTypedMetadata, respWindowUpdate:
			if typ != protowire.BytesType {
				return nil
			}
			return fmt.Errorf("%w: field %d", errUnsupported, n)
		case respRequestDrain:
			return nil
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
		case 1: // status: HttpStatus{code}
			return walk(v, func(n protowire.Number, typ protowire.Type, _ []byte, x uint64) error {
				if n == 1 && typ == protowire.VarintType {
					a.status = int(int32(x)) //nolint:gosec // as protobuf decodes an enum
				}
				return nil
			})
		case 2: // headers
			return headerMutation(v)
		case 3: // body
			a.localBody = v
		case 4: // grpc_status
			return walk(v, noFields)
		case 5: // details
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
		case 2:
			return headerMutation(v)
		case 3: // body_mutation: body, clear_body or streamed_response
			return walk(v, func(n protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
				if n == 3 && typ == protowire.BytesType {
					return walk(v, noFields)
				}
				return nil
			})
		case 4: // trailers: HeaderMap
			return walkMessage(v, 1, headerValue)
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
		case 1: // HeaderValueOption
			return walk(v, func(n protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
				if typ != protowire.BytesType {
					return nil
				}
				switch n {
				case 1:
					return headerValue(v)
				case 2: // append: BoolValue
					return walk(v, noFields)
				}
				return nil
			})
		case 2:
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
		if typ == protowire.BytesType && (n == 1 || n == 2) && !utf8.Valid(v) {
			return errMalformed
		}
		return nil
	})
}

// structValue walks a google.protobuf.Struct.
func structValue(b []byte, depth int) error {
	if depth > maxDepth {
		return errMalformed
	}
	return walk(b, func(n protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
		if n != 1 || typ != protowire.BytesType {
			return nil
		}
		return walk(v, func(n protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
			if typ != protowire.BytesType {
				return nil
			}
			switch n {
			case 1:
				if !utf8.Valid(v) {
					return errMalformed
				}
			case 2:
				return value(v, depth+1)
			}
			return nil
		})
	})
}

// value walks a google.protobuf.Value.
func value(b []byte, depth int) error {
	if depth > maxDepth {
		return errMalformed
	}
	return walk(b, func(n protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
		if typ != protowire.BytesType {
			return nil
		}
		switch n {
		case 3: // string_value
			if !utf8.Valid(v) {
				return errMalformed
			}
		case 5:
			return structValue(v, depth+1)
		case 6: // list_value
			return walk(v, func(n protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
				if n == 1 && typ == protowire.BytesType {
					return value(v, depth+1)
				}
				return nil
			})
		}
		return nil
	})
}

// walkMessage walks b, a message whose field n holds another message.
func walkMessage(b []byte, n protowire.Number, inner func([]byte) error) error {
	return walk(b, func(m protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
		if m == n && typ == protowire.BytesType {
			return inner(v)
		}
		return nil
	})
}

func noFields(protowire.Number, protowire.Type, []byte, uint64) error { return nil }

// walk calls f for every field of the message in b, with the contents of
// a length-delimited field or the value of a varint. Fixed-width fields
// and groups are checked and skipped.
func walk(b []byte, f func(n protowire.Number, typ protowire.Type, v []byte, x uint64) error) error {
	for len(b) > 0 {
		n, typ, l := protowire.ConsumeTag(b)
		if l < 0 || n > protowire.MaxValidNumber {
			return errMalformed
		}
		b = b[l:]
		var (
			v []byte
			x uint64
		)
		switch typ {
		case protowire.BytesType:
			v, l = protowire.ConsumeBytes(b)
		case protowire.VarintType:
			x, l = protowire.ConsumeVarint(b)
		default:
			l = protowire.ConsumeFieldValue(n, typ, b)
		}
		if l < 0 {
			return errMalformed
		}
		b = b[l:]
		if typ == protowire.BytesType || typ == protowire.VarintType {
			if err := f(n, typ, v, x); err != nil {
				return err
			}
		}
	}
	return nil
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
