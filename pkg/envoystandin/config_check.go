package envoystandin

import (
	"fmt"
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/anypb"
)

// onlyFields fails when m sets a field outside allowed. The stand-in refuses
// what it does not implement instead of silently behaving unlike Envoy.
func onlyFields(m proto.Message, at string, allowed ...string) error {
	var bad []string
	m.ProtoReflect().Range(func(fd protoreflect.FieldDescriptor, _ protoreflect.Value) bool {
		if !slices.Contains(allowed, string(fd.Name())) {
			bad = append(bad, string(fd.Name()))
		}
		return true
	})
	if len(bad) == 0 {
		return nil
	}
	slices.Sort(bad)
	return fmt.Errorf("%s.%s: not supported by the Envoy stand-in", at, bad[0])
}

// unpack reads a typed_config into want, failing with the path and both type
// names when the type is not the one expected.
func unpack(a *anypb.Any, at string, want proto.Message) error {
	if a == nil {
		return fmt.Errorf("%s.typed_config: missing", at)
	}
	if !a.MessageIs(want) {
		return fmt.Errorf("%s.typed_config: type %s is not supported by the Envoy stand-in (want %s)",
			at, typeName(a), want.ProtoReflect().Descriptor().FullName())
	}
	if err := a.UnmarshalTo(want); err != nil {
		return fmt.Errorf("%s.typed_config: %w", at, err)
	}
	return nil
}

func typeName(a *anypb.Any) string {
	u := a.GetTypeUrl()
	return u[strings.LastIndex(u, "/")+1:]
}
