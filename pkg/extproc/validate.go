package extproc

import (
	"errors"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/sluice-gw/sluice/pkg/pbread"
)

// The metadata and attributes on messages other than the request's
// headers are checked here as protobuf-go checks them while decoding
// (whole fields, valid field numbers, UTF-8 strings, bounded nesting),
// without building the google.protobuf.Struct trees nobody reads. With
// jwt_authn in front, Envoy forwards the verified claims with every body
// chunk.

// Field numbers of the messages a context holds, besides Struct's and
// Value's in metadata.go: Metadata, google.protobuf.Any, ListValue, and
// Value's list. FuzzFrame checks the walk against protobuf-go.
const (
	metaFilter fieldNumber = 1 // Metadata.filter_metadata
	metaTyped  fieldNumber = 2 // Metadata.typed_filter_metadata
	anyTypeURL fieldNumber = 1
	valueList  fieldNumber = 6
	listValues fieldNumber = 1
	// recursionLimit is protobuf-go's bound on nested messages.
	recursionLimit = protowire.DefaultRecursionLimit
)

var errDepth = errors.New("ext_proc message: nested too deeply")

// validContext checks a run of ProcessingRequest metadata_context and
// attributes fields.
func validContext(b []byte) error {
	// The ProcessingRequest holding them is one level.
	depth := recursionLimit - 1
	r := pbread.Reader{B: b}
	for r.Next() {
		switch {
		case r.Is(inMetadataContext, protowire.BytesType):
			r.Err = validMetadata(r.Bytes, depth-1)
		case r.Is(inAttributes, protowire.BytesType):
			r.Err = validEntry(r.Bytes, depth, validStruct)
		}
	}
	return r.Err
}

func validMetadata(b []byte, depth int) error {
	if depth < 0 {
		return errDepth
	}
	r := pbread.Reader{B: b}
	for r.Next() {
		switch {
		case r.Is(metaFilter, protowire.BytesType):
			r.Err = validEntry(r.Bytes, depth, validStruct)
		case r.Is(metaTyped, protowire.BytesType):
			r.Err = validEntry(r.Bytes, depth, validAny)
		}
	}
	return r.Err
}

// validEntry checks a map entry with a string key and a message value.
// The entry is a level, and so is its value.
func validEntry(b []byte, depth int, value func([]byte, int) error) error {
	if depth--; depth < 0 {
		return errDepth
	}
	r := pbread.Reader{B: b}
	for r.Next() {
		switch {
		case r.Is(mapKey, protowire.BytesType):
			r.Err = validString(r.Bytes)
		case r.Is(mapValue, protowire.BytesType):
			r.Err = value(r.Bytes, depth-1)
		}
	}
	return r.Err
}

func validAny(b []byte, depth int) error {
	if depth < 0 {
		return errDepth
	}
	r := pbread.Reader{B: b}
	for r.Next() {
		if r.Is(anyTypeURL, protowire.BytesType) {
			r.Err = validString(r.Bytes)
		}
	}
	return r.Err
}

func validStruct(b []byte, depth int) error {
	if depth < 0 {
		return errDepth
	}
	r := pbread.Reader{B: b}
	for r.Next() {
		if r.Is(structFields, protowire.BytesType) {
			r.Err = validEntry(r.Bytes, depth, validValue)
		}
	}
	return r.Err
}

func validValue(b []byte, depth int) error {
	if depth < 0 {
		return errDepth
	}
	r := pbread.Reader{B: b}
	for r.Next() {
		switch {
		case r.Is(valueString, protowire.BytesType):
			r.Err = validString(r.Bytes)
		case r.Is(valueStructNumber, protowire.BytesType):
			r.Err = validStruct(r.Bytes, depth-1)
		case r.Is(valueList, protowire.BytesType):
			r.Err = validList(r.Bytes, depth-1)
		}
	}
	return r.Err
}

func validList(b []byte, depth int) error {
	if depth < 0 {
		return errDepth
	}
	r := pbread.Reader{B: b}
	for r.Next() {
		if r.Is(listValues, protowire.BytesType) {
			r.Err = validValue(r.Bytes, depth-1)
		}
	}
	return r.Err
}

func validString(b []byte) error {
	if !utf8.Valid(b) {
		return errUTF8
	}
	return nil
}
