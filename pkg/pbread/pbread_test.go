package pbread_test

import (
	"errors"
	"slices"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/sluice-gw/sluice/pkg/pbread"
	"github.com/sluice-gw/sluice/pkg/pbread/pbreadtest"
)

type field struct {
	num    protowire.Number
	typ    protowire.Type
	bytes  string
	varint uint64
}

func read(b []byte) ([]field, error) {
	var out []field
	r := pbread.Reader{B: b}
	for r.Next() {
		out = append(out, field{r.Num, r.Typ, string(r.Bytes), r.Varint})
		r.Bytes, r.Varint = nil, 0
	}
	return out, r.Err
}

func TestReader(t *testing.T) {
	b := protowire.AppendTag(nil, 1, protowire.BytesType)
	b = protowire.AppendString(b, "hi")
	b = protowire.AppendTag(b, 2, protowire.VarintType)
	b = protowire.AppendVarint(b, 300)
	b = protowire.AppendTag(b, 3, protowire.Fixed64Type)
	b = protowire.AppendFixed64(b, 7)
	b = protowire.AppendTag(b, 4, protowire.StartGroupType)
	b = protowire.AppendTag(b, 1, protowire.VarintType)
	b = protowire.AppendVarint(b, 1)
	b = protowire.AppendTag(b, 4, protowire.EndGroupType)
	got, err := read(b)
	want := []field{{1, protowire.BytesType, "hi", 0}, {2, protowire.VarintType, "", 300},
		{3, protowire.Fixed64Type, "", 0}, {4, protowire.StartGroupType, "", 0}}
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("read = %v, %v; want %v", got, err, want)
	}
	for name, bad := range map[string][]byte{
		"truncated":        b[:len(b)-1],
		"field zero":       {0x00, 0x01},
		"number too large": protowire.AppendVarint(nil, uint64(protowire.MaxValidNumber+1)<<3),
		"end group alone":  protowire.AppendTag(nil, 5, protowire.EndGroupType),
		"length too long":  {0x0a, 0x05, 'a'},
	} {
		if _, err := read(bad); !errors.Is(err, pbread.ErrMalformed) {
			t.Errorf("%s: err = %v, want ErrMalformed", name, err)
		}
	}
}

func TestEach(t *testing.T) {
	var b []byte
	for _, s := range []string{"a", "b", "c"} {
		b = protowire.AppendString(protowire.AppendTag(b, 2, protowire.BytesType), s)
		b = protowire.AppendVarint(protowire.AppendTag(b, 2, protowire.VarintType), 9) // another wire type: not field 2's
	}
	var got []string
	if err := pbread.Each(b, 2, func(v []byte) error { got = append(got, string(v)); return nil }); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Fatalf("Each = %q", got)
	}
	stop := errors.New("stop")
	n := 0
	if err := pbread.Each(b, 2, func([]byte) error { n++; return stop }); !errors.Is(err, stop) || n != 1 {
		t.Fatalf("Each did not stop at the first error: %v after %d", err, n)
	}
}

// FuzzWellFormed holds WellFormed to protobuf-go, which decodes any
// message into Empty exactly when its fields are whole.
func FuzzWellFormed(f *testing.F) {
	f.Add([]byte{0x0a, 0x02, 'h', 'i', 0x10, 0xac, 0x02})
	f.Add([]byte{0x23, 0x08, 0x01, 0x24})
	f.Add([]byte{0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		want := proto.Unmarshal(b, &emptypb.Empty{})
		if got := pbread.WellFormed(b); (got == nil) != (want == nil) {
			t.Fatalf("WellFormed = %v, protobuf-go %v, for % x", got, want, b)
		}
	})
}

// TestStructFieldNumbers checks the Struct field numbers against the
// descriptors.
func TestStructFieldNumbers(t *testing.T) {
	for _, tt := range []struct {
		m     proto.Message
		field string
		num   protowire.Number
	}{
		{&structpb.Struct{}, "fields", 1},
		{&structpb.Value{}, "string_value", 3},
		{&structpb.Value{}, "struct_value", 5},
		{&structpb.Value{}, "list_value", 6},
		{&structpb.ListValue{}, "values", 1},
	} {
		d := tt.m.ProtoReflect().Descriptor()
		if f := d.Fields().ByName(protoreflect.Name(tt.field)); f == nil || f.Number() != tt.num {
			t.Errorf("%s.%s: want number %d, descriptor has %v", d.Name(), tt.field, tt.num, f)
		}
	}
}

// TestValidStructNestingLimit: ValidStruct refuses exactly the nesting
// protobuf-go refuses, through Structs and through lists.
func TestValidStructNestingLimit(t *testing.T) {
	for _, list := range []bool{false, true} {
		wire := func(levels int) []byte { return pbreadtest.Marshal(t, pbreadtest.Nested(levels, list)) }
		newStruct := func() proto.Message { return &structpb.Struct{} }
		pbreadtest.AroundLimit(t, newStruct, wire, func(offset int, b []byte) {
			want := proto.Unmarshal(b, &structpb.Struct{})
			if got := pbread.ValidStruct(b, 1); (got == nil) != (want == nil) {
				t.Errorf("list=%v, limit%+d: ValidStruct %v, protobuf-go %v", list, offset, got, want)
			}
		})
	}
}

// FuzzValidStruct holds ValidStruct to protobuf-go's decoding of a Struct.
func FuzzValidStruct(f *testing.F) {
	for _, s := range []map[string]any{{"a": "b"}, {"a": []any{"x", 1.5, true, nil, map[string]any{"c": "d"}}}} {
		st, err := structpb.NewStruct(s)
		if err != nil {
			f.Fatal(err)
		}
		b, err := proto.Marshal(st)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{0x0a, 0x05, 0x0a, 0x01, 0xff, 0x12, 0x00})            // key not UTF-8
	f.Add([]byte{0x0a, 0x07, 0x0a, 0x01, 'k', 0x12, 0x02, 0x1a, 0xff}) // truncated string value
	f.Fuzz(func(t *testing.T, b []byte) {
		want := proto.Unmarshal(b, &structpb.Struct{})
		if got := pbread.ValidStruct(b, 1); (got == nil) != (want == nil) {
			t.Fatalf("ValidStruct = %v, protobuf-go %v, for % x", got, want, b)
		}
	})
}

func TestEntry(t *testing.T) {
	field := func(b []byte, num protowire.Number, s string) []byte {
		return protowire.AppendString(protowire.AppendTag(b, num, protowire.BytesType), s)
	}
	// Two keys and two value fields, another field between them: the
	// last key wins and both values come, in order.
	b := field(nil, 1, "first")
	b = field(b, 2, "v1")
	b = protowire.AppendVarint(protowire.AppendTag(b, 3, protowire.VarintType), 7)
	b = field(b, 1, "last")
	b = field(b, 2, "v2")
	var values []string
	key, err := pbread.Entry(b, func(v []byte) { values = append(values, string(v)) })
	if err != nil || string(key) != "last" || !slices.Equal(values, []string{"v1", "v2"}) {
		t.Errorf("Entry = %q, %v with values %q; want \"last\", nil with [v1 v2]", key, err, values)
	}
	if _, err := pbread.Entry(b[:len(b)-1], func([]byte) {}); !errors.Is(err, pbread.ErrMalformed) {
		t.Errorf("a truncated entry: err = %v, want ErrMalformed", err)
	}
}
