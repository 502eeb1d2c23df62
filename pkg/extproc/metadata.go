package extproc

import (
	"cmp"
	"slices"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/sluice-gw/sluice/pkg/pipeline"
)

// Field numbers of google.protobuf.Struct and Value.
const (
	structFields      protowire.Number = 1 // Struct.fields, a map<string, Value>
	mapKey            protowire.Number = 1
	mapValue          protowire.Number = 2
	valueString       protowire.Number = 3 // Value.string_value
	valueStructNumber protowire.Number = 5 // Value.struct_value
)

// setMetadata adds m to the answer as dynamic_metadata {"sluice": {...}},
// the shape Envoy expects: top-level keys are namespaces. Envoy merges
// each answer's metadata into what it holds for the stream, so a value
// sent earlier on the stream (listed in sent, which is updated) is not
// sent again.
//
// The Struct is encoded straight into a's reused buffer, like the rest of
// the answer; built as structpb messages, its two maps cost a dozen
// allocations and more marshalling time than the rest of the answer.
func (a *answer) setMetadata(m []pipeline.Header, sent *published) {
	if len(m) == 0 {
		return
	}
	if a.kvs == nil {
		a.kvs, a.meta = a.kvArr[:0], a.metaArr[:0]
	}
	kvs := a.kvs[:0]
	for _, kv := range m {
		if !sent.has(kv.Key, kv.Value) {
			kvs = append(kvs, kv)
		}
	}
	a.kvs = kvs
	if len(kvs) == 0 {
		return
	}
	sent.add(kvs)
	// Sorted, so the bytes are the same for the same metadata.
	slices.SortFunc(kvs, func(x, y pipeline.Header) int { return cmp.Compare(x.Key, y.Key) })

	inner := 0 // the namespace's Struct
	for _, kv := range kvs {
		inner += sizeField(sizeEntry(kv.Key, sizeField(len(kv.Value))))
	}
	outerValue := sizeField(inner) // Value{struct_value: inner}
	outer := sizeField(sizeEntry(pipeline.MetadataNamespace, outerValue))

	b := a.meta[:0]
	b = appendLen(b, fieldDynamicMetadata, outer)
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
}

// sizeEntry is the size of a map entry: its key, and a value message of
// n bytes.
func sizeEntry(key string, n int) int { return sizeField(len(key)) + sizeField(n) }

// published is the metadata a stream has sent Envoy so far.
type published struct {
	kvs []pipeline.Header
	arr [8]pipeline.Header // first storage of kvs, in the stream's own allocation
}

func (p *published) has(k, v string) bool {
	for _, kv := range p.kvs {
		if kv.Key == k {
			return kv.Value == v
		}
	}
	return false
}

// add records kvs, whose keys are new or have new values.
func (p *published) add(kvs []pipeline.Header) {
	if p.kvs == nil {
		p.kvs = p.arr[:0]
	}
	for _, kv := range kvs {
		if i := slices.IndexFunc(p.kvs, func(s pipeline.Header) bool { return s.Key == kv.Key }); i >= 0 {
			p.kvs[i].Value = kv.Value
			continue
		}
		p.kvs = append(p.kvs, kv)
	}
}
