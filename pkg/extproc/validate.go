package extproc

import (
	"math"
	"strings"

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

// Field numbers of Metadata and google.protobuf.Any, and of Value's list
// (Struct's and Value's others are in metadata.go).
const (
	metaFilter fieldNumber = 1 // Metadata.filter_metadata
	metaTyped  fieldNumber = 2 // Metadata.typed_filter_metadata
	anyTypeURL fieldNumber = 1
	valueList  fieldNumber = 6
)

// Nesting levels, as protobuf-go counts them (pbread.RecursionLimit):
// the ProcessingRequest is level 1, its metadata_context and each
// attributes entry level 2.
const contextLevel = 2

// validContext checks a run of ProcessingRequest metadata_context
// fields.
func validContext(b []byte) error {
	return pbread.Each(b, inMetadataContext, func(m []byte) error { return validMetadata(m, contextLevel) })
}

// validAttribute checks one entry of ProcessingRequest.attributes.
func validAttribute(b []byte) error {
	return pbread.ValidEntry(b, contextLevel, pbread.ValidStruct)
}

func validMetadata(b []byte, level int) error {
	if level > pbread.RecursionLimit {
		return pbread.ErrMalformed
	}
	r := pbread.Reader{B: b}
	for r.Next() {
		switch {
		case r.Is(metaFilter, protowire.BytesType):
			r.Err = pbread.ValidEntry(r.Bytes, level+1, pbread.ValidStruct)
		case r.Is(metaTyped, protowire.BytesType):
			r.Err = pbread.ValidEntry(r.Bytes, level+1, validAny)
		}
	}
	return r.Err
}

func validAny(b []byte, level int) error {
	if level > pbread.RecursionLimit {
		return pbread.ErrMalformed
	}
	return pbread.Each(b, anyTypeURL, pbread.ValidString)
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
