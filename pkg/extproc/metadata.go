package extproc

import (
	"cmp"
	"slices"

	extprocv3 "github.com/envoyproxy/go-control-plane/envoy/service/ext_proc/v3"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/sluice-gw/sluice/pkg/pipeline"
)

// dynamicMetadataField is ProcessingResponse.dynamic_metadata's number.
var dynamicMetadataField = protowire.Number((&extprocv3.ProcessingResponse{}).ProtoReflect().
	Descriptor().Fields().ByName("dynamic_metadata").Number())

// Field numbers of google.protobuf.Struct and Value.
const (
	structFields      protowire.Number = 1 // Struct.fields, a map<string, Value>
	mapKey            protowire.Number = 1
	mapValue          protowire.Number = 2
	valueString       protowire.Number = 3 // Value.string_value
	valueStructNumber protowire.Number = 5 // Value.struct_value
)

// setMetadata puts m in resp as dynamic_metadata {"sluice": {...}}, the
// shape Envoy expects: top-level keys are namespaces.
//
// The Struct is encoded here, straight into a's reused buffer, and carried
// as the response's unknown fields, which marshalling copies out as they
// are. On the wire it is the same dynamic_metadata field; built as
// structpb messages, its two maps cost a dozen allocations and more
// marshalling time than the rest of the answer.
func (a *answer) setMetadata(resp *extprocv3.ProcessingResponse, m map[string]string) {
	if len(m) == 0 {
		return
	}
	if a.kvs == nil {
		a.kvs, a.meta = a.kvArr[:0], a.metaArr[:0]
	}
	kvs := a.kvs[:0]
	for k, v := range m {
		kvs = append(kvs, pipeline.Header{Key: k, Value: v})
	}
	// Sorted, so the bytes are the same for the same metadata.
	slices.SortFunc(kvs, func(x, y pipeline.Header) int { return cmp.Compare(x.Key, y.Key) })
	a.kvs = kvs

	inner := 0 // the namespace's Struct
	for _, kv := range kvs {
		inner += sizeField(sizeEntry(kv.Key, sizeField(len(kv.Value))))
	}
	outerValue := sizeField(inner) // Value{struct_value: inner}
	outer := sizeField(sizeEntry(pipeline.MetadataNamespace, outerValue))

	b := a.meta[:0]
	b = appendLen(b, dynamicMetadataField, outer)
	b = appendLen(b, structFields, sizeEntry(pipeline.MetadataNamespace, outerValue))
	b = protowire.AppendTag(b, mapKey, protowire.BytesType)
	b = protowire.AppendString(b, pipeline.MetadataNamespace)
	b = appendLen(b, mapValue, outerValue)
	b = appendLen(b, valueStructNumber, inner)
	for _, kv := range kvs {
		b = appendLen(b, structFields, sizeEntry(kv.Key, sizeField(len(kv.Value))))
		b = protowire.AppendTag(b, mapKey, protowire.BytesType)
		b = protowire.AppendString(b, kv.Key)
		b = appendLen(b, mapValue, sizeField(len(kv.Value)))
		b = protowire.AppendTag(b, valueString, protowire.BytesType)
		b = protowire.AppendString(b, kv.Value)
	}
	a.meta = b
	resp.ProtoReflect().SetUnknown(protoreflect.RawFields(b))
}

// appendLen appends the tag and length of a length-delimited field of n
// bytes, whose bytes the caller appends next.
func appendLen(b []byte, num protowire.Number, n int) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendVarint(b, uint64(n)) //nolint:gosec // a size, never negative
}

// sizeField is the size of a length-delimited field of n bytes with a
// one-byte tag (every field number here is below 16).
func sizeField(n int) int { return 1 + protowire.SizeBytes(n) }

// sizeEntry is the size of a map entry: its key, and a value message of
// n bytes.
func sizeEntry(key string, n int) int { return sizeField(len(key)) + sizeField(n) }
