package pbread

import (
	"fmt"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"
)

// ErrUTF8 reports a string field that is not UTF-8, which protobuf-go
// refuses in proto3. It is a kind of ErrMalformed.
var ErrUTF8 = fmt.Errorf("%w: a string is not valid UTF-8", ErrMalformed)

// RecursionLimit is protobuf-go's bound on nesting. It counts every
// message on the way down, the top one included, and every map entry: a
// Struct inside a Value inside a Struct is three levels.
const RecursionLimit = protowire.DefaultRecursionLimit

// Field numbers of google.protobuf.Struct, Value and ListValue, and of a
// map entry.
const (
	structFields protowire.Number = 1
	entryKey     protowire.Number = 1
	entryValue   protowire.Number = 2
	valueString  protowire.Number = 3
	valueStruct  protowire.Number = 5
	valueList    protowire.Number = 6
	listValues   protowire.Number = 1
)

// ValidString reports whether b is a string protobuf-go accepts.
func ValidString(b []byte) error {
	if !utf8.Valid(b) {
		return ErrUTF8
	}
	return nil
}

// ValidEntry checks a map entry, at nesting level level, whose key is a
// string and whose value, a message, value checks one level down.
func ValidEntry(b []byte, level int, value func(b []byte, level int) error) error {
	if level > RecursionLimit {
		return ErrMalformed
	}
	r := Reader{B: b}
	for r.Next() {
		switch {
		case r.Is(entryKey, protowire.BytesType):
			r.Err = ValidString(r.Bytes)
		case r.Is(entryValue, protowire.BytesType):
			r.Err = value(r.Bytes, level+1)
		}
	}
	return r.Err
}

// Entry reads map entry b as protobuf-go decodes it: it returns the key,
// the last one sent, and calls value with each of the entry's value
// fields in order, which protobuf-go merges into one message. It checks
// neither; ValidEntry does.
func Entry(b []byte, value func([]byte)) (key []byte, err error) {
	r := Reader{B: b}
	for r.Next() {
		switch {
		case r.Is(entryKey, protowire.BytesType):
			key = r.Bytes
		case r.Is(entryValue, protowire.BytesType):
			value(r.Bytes)
		}
	}
	return key, r.Err
}

// ValidStruct reports whether b is a google.protobuf.Struct, at nesting
// level level, that protobuf-go accepts: whole fields, UTF-8 keys and
// strings, and nesting within RecursionLimit.
func ValidStruct(b []byte, level int) error {
	if level > RecursionLimit {
		return ErrMalformed
	}
	return Each(b, structFields, func(e []byte) error { return ValidEntry(e, level+1, validValue) })
}

func validValue(b []byte, level int) error {
	if level > RecursionLimit {
		return ErrMalformed
	}
	r := Reader{B: b}
	for r.Next() {
		switch {
		case r.Is(valueString, protowire.BytesType):
			r.Err = ValidString(r.Bytes)
		case r.Is(valueStruct, protowire.BytesType):
			r.Err = ValidStruct(r.Bytes, level+1)
		case r.Is(valueList, protowire.BytesType):
			if level+1 > RecursionLimit {
				r.Err = ErrMalformed
				break
			}
			r.Err = Each(r.Bytes, listValues, func(v []byte) error { return validValue(v, level+2) })
		}
	}
	return r.Err
}
