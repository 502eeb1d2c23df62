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
	_ = pbread.Each(b, inAttributes, func(e []byte) error {
		var in identity.Connection
		key, _ := pbread.Entry(e, func(v []byte) { readAttributes(v, &in) })
		if alias(key) == identity.AttributesNamespace {
			c = in
		}
		return nil
	})
	c.SourceAddress = strings.Clone(c.SourceAddress)
	c.PeerURISAN = strings.Clone(c.PeerURISAN)
	c.RouteName = strings.Clone(c.RouteName)
	return c
}

// readAttributes reads a Struct's fields into c.
func readAttributes(b []byte, c *identity.Connection) {
	_ = pbread.Each(b, structFields, func(e []byte) error {
		var v attribute
		name, _ := pbread.Entry(e, v.read)
		switch alias(name) {
		case identity.AttrSourceAddress:
			c.SourceAddress = v.string()
		case identity.AttrPeerURISAN:
			c.PeerURISAN = v.string()
		case identity.AttrRouteName:
			c.RouteName = v.string()
		case identity.AttrSourcePort:
			c.HasSourcePort, c.SourcePort = true, 0
			if v.kind == valueNumber {
				c.SourcePort = v.num
			}
		}
		return nil
	})
}

// attribute is a google.protobuf.Value as connectionOf reads it: its kind
// is whichever of its fields came last, as in protobuf-go's oneof.
type attribute struct {
	kind fieldNumber
	str  string
	num  float64
}

// read reads one of the Value's fields, which merge in order.
func (a *attribute) read(b []byte) {
	r := pbread.Reader{B: b}
	for r.Next() {
		switch {
		case r.Is(valueString, protowire.BytesType):
			a.kind, a.str = valueString, alias(r.Bytes)
		case r.Is(valueNumber, protowire.Fixed64Type):
			a.kind, a.num = valueNumber, math.Float64frombits(r.Fixed64)
		case r.Is(valueNull, protowire.VarintType), r.Is(valueBool, protowire.VarintType),
			r.Is(valueStructNumber, protowire.BytesType), r.Is(valueList, protowire.BytesType):
			a.kind = r.Num
		}
	}
}

// string is the Value's string, "" if it holds another kind.
func (a *attribute) string() string {
	if a.kind != valueString {
		return ""
	}
	return a.str
}
