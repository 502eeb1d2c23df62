// Package pbreadtest builds the messages that hold a wire reader to
// protobuf-go at its recursion limit.
package pbreadtest

import (
	"sort"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/sluice-gw/sluice/pkg/pbread"
)

// Nested is a Struct holding a string levels deep, nested through Structs
// or through lists.
func Nested(levels int, list bool) *structpb.Struct {
	v := structpb.NewStringValue("x")
	for range levels {
		if list {
			v = structpb.NewListValue(&structpb.ListValue{Values: []*structpb.Value{v}})
		} else {
			v = structpb.NewStructValue(&structpb.Struct{Fields: map[string]*structpb.Value{"k": v}})
		}
	}
	return &structpb.Struct{Fields: map[string]*structpb.Value{"top": v}}
}

// AroundLimit finds the shallowest nesting protobuf-go refuses to decode
// into a new m(), where wire(levels) is the message nested levels deep,
// and calls check with the message one level above, at and below it.
// Refusal only grows with depth, so a binary search finds it.
func AroundLimit(t testing.TB, m func() proto.Message, wire func(levels int) []byte, check func(offset int, b []byte)) {
	t.Helper()
	refused := sort.Search(pbread.RecursionLimit, func(levels int) bool {
		return proto.Unmarshal(wire(levels), m()) != nil
	})
	if refused == pbread.RecursionLimit {
		t.Fatalf("protobuf-go refused no nesting below %d levels", pbread.RecursionLimit)
	}
	for _, offset := range []int{-1, 0, 1} {
		check(offset, wire(refused+offset))
	}
}

// Marshal is proto.Marshal, failing t on error.
func Marshal(t testing.TB, m proto.Message) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
