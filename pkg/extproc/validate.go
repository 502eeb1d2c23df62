package extproc

import (
	"errors"
	"math"
	"strings"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/sluice-gw/sluice/pkg/identity"
	"github.com/sluice-gw/sluice/pkg/pbread"
)

// Envoy's metadata and attributes are checked here as protobuf-go checks
// them while decoding (whole fields, valid field numbers, UTF-8 strings,
// bounded nesting), without building the google.protobuf.Struct trees
// nobody reads: with jwt_authn in front, Envoy forwards the verified
// claims with every body chunk. The four attributes Sluice uses are read
// here too (connectionOf).

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

// validContext checks a run of ProcessingRequest metadata_context
// fields.
func validContext(b []byte) error {
	// The ProcessingRequest holding them is one level.
	depth := recursionLimit - 1
	r := pbread.Reader{B: b}
	for r.Next() {
		if r.Is(inMetadataContext, protowire.BytesType) {
			r.Err = validMetadata(r.Bytes, depth-1)
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

// Value's other fields; a Value's kind is whichever of its fields came
// last, as in protobuf-go's oneof.
const (
	valueNull   fieldNumber = 1
	valueNumber fieldNumber = 2
	valueBool   fieldNumber = 4
)

// connectionOf reads the attributes Sluice uses from a checked message,
// as identity.ConnectionFrom reads them from protobuf-go's maps: the last
// entry of AttributesNamespace wins, and within it the last entry of each
// attribute. The strings are read in place and copied once found: an
// identity, with its peer and address, may be cached for a long time, and
// must not keep a whole message alive.
func connectionOf(b []byte) identity.Connection {
	var c identity.Connection
	r := pbread.Reader{B: b}
	for r.Next() {
		if !r.Is(inAttributes, protowire.BytesType) {
			continue
		}
		var key string
		var in identity.Connection
		e := pbread.Reader{B: r.Bytes}
		for e.Next() {
			switch {
			case e.Is(mapKey, protowire.BytesType):
				key = alias(e.Bytes)
			case e.Is(mapValue, protowire.BytesType):
				// A value split over fields merges, as protobuf-go
				// decodes it into the same message.
				readAttributes(e.Bytes, &in)
			}
		}
		if key == identity.AttributesNamespace {
			c = in
		}
	}
	c.SourceAddress = strings.Clone(c.SourceAddress)
	c.PeerURISAN = strings.Clone(c.PeerURISAN)
	c.RouteName = strings.Clone(c.RouteName)
	return c
}

// readAttributes reads a Struct's fields into c.
func readAttributes(b []byte, c *identity.Connection) {
	s := pbread.Reader{B: b}
	for s.Next() {
		if !s.Is(structFields, protowire.BytesType) {
			continue
		}
		var name, str string
		var num float64
		var kind fieldNumber
		e := pbread.Reader{B: s.Bytes}
		for e.Next() {
			switch {
			case e.Is(mapKey, protowire.BytesType):
				name = alias(e.Bytes)
			case e.Is(mapValue, protowire.BytesType):
				v := pbread.Reader{B: e.Bytes}
				for v.Next() {
					switch {
					case v.Is(valueString, protowire.BytesType):
						kind, str = valueString, alias(v.Bytes)
					case v.Is(valueNumber, protowire.Fixed64Type):
						kind, num = valueNumber, math.Float64frombits(v.Fixed64)
					case v.Is(valueNull, protowire.VarintType), v.Is(valueBool, protowire.VarintType),
						v.Is(valueStructNumber, protowire.BytesType), v.Is(valueList, protowire.BytesType):
						kind = v.Num
					}
				}
			}
		}
		if kind != valueString {
			str = ""
		}
		switch name {
		case identity.AttrSourceAddress:
			c.SourceAddress = str
		case identity.AttrPeerURISAN:
			c.PeerURISAN = str
		case identity.AttrRouteName:
			c.RouteName = str
		case identity.AttrSourcePort:
			c.HasSourcePort, c.SourcePort = true, 0
			if kind == valueNumber {
				c.SourcePort = num
			}
		}
	}
}
