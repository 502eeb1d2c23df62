// Package pbread reads protobuf messages field by field, in place,
// without generated code: what Sluice's hot path uses to read Envoy's
// messages, and what its load driver uses to read Sluice's answers.
//
// It checks what protobuf-go's decoder checks of every field (whole
// tags and values, valid field numbers, groups closed) and leaves the
// meaning of fields, and rules such as UTF-8 strings, to its caller;
// for google.protobuf.Struct, which both readers meet in Envoy's
// metadata, ValidStruct checks those rules too.
package pbread

import (
	"errors"

	"google.golang.org/protobuf/encoding/protowire"
)

// ErrMalformed reports a message that is not a sequence of whole fields.
var ErrMalformed = errors.New("protobuf message: truncated or malformed field")

// Reader reads the fields of the message in B. After Next reports true,
// the field read is Num of wire type Typ, with its contents in Bytes (a
// message, string or bytes field) or its value in Varint or Fixed64.
// Groups and 32-bit fields are checked and reported with none.
//
// A Reader is a value: a loop over one lives on the caller's stack.
type Reader struct {
	B      []byte
	Num    protowire.Number
	Typ    protowire.Type
	Bytes  []byte
	Varint uint64
	// Fixed64 is a 64-bit field's bits (a double's, for one).
	Fixed64 uint64
	// Err is set once the message is found malformed, or by the caller
	// to stop reading with an error of its own.
	Err error
}

// Next reads the next field, reporting false at the end of the message,
// on a malformed one, or once Err is set.
func (r *Reader) Next() bool {
	if len(r.B) == 0 || r.Err != nil {
		return false
	}
	num, typ, n := protowire.ConsumeTag(r.B)
	// protowire leaves refusing numbers above the largest valid one to
	// its caller, as protobuf-go does.
	if n < 0 || !num.IsValid() {
		r.Err = ErrMalformed
		return false
	}
	r.Num, r.Typ = num, typ
	var m int
	switch typ {
	case protowire.BytesType:
		r.Bytes, m = protowire.ConsumeBytes(r.B[n:])
	case protowire.VarintType:
		r.Varint, m = protowire.ConsumeVarint(r.B[n:])
	case protowire.Fixed64Type:
		r.Fixed64, m = protowire.ConsumeFixed64(r.B[n:])
	default:
		m = protowire.ConsumeFieldValue(num, typ, r.B[n:])
	}
	if m < 0 {
		r.Err = ErrMalformed
		return false
	}
	r.B = r.B[n+m:]
	return true
}

// Is reports whether the field read is field num of type typ. A known
// field number with another wire type is an unknown field to protobuf-go.
func (r *Reader) Is(num protowire.Number, typ protowire.Type) bool {
	return r.Num == num && r.Typ == typ
}

// WellFormed reports whether b is a sequence of whole fields.
func WellFormed(b []byte) error {
	r := Reader{B: b}
	for r.Next() {
	}
	return r.Err
}

// Each calls fn with the contents of every length-delimited field num of
// message b, stopping at fn's first error.
func Each(b []byte, num protowire.Number, fn func([]byte) error) error {
	r := Reader{B: b}
	for r.Next() {
		if r.Is(num, protowire.BytesType) {
			r.Err = fn(r.Bytes)
		}
	}
	return r.Err
}
