// Package envoy holds the Envoy configuration that operators deploy in front
// of Sluice (envoy.yaml, envoy-tls.yaml and the Istio manifests in istio/),
// and decodes it into go-control-plane types exactly as strictly as Envoy
// reads it: unknown fields and unknown typed_config types are errors, and
// every message, including each typed_config, passes its validate rules.
//
// The Envoy stand-in (pkg/envoystandin) loads the same files through this
// package, so what Sluice is tested against is what operators deploy.
package envoy

import (
	"embed"
	"errors"
	"fmt"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/known/anypb"
	"sigs.k8s.io/yaml"

	// Every typed_config type the files use must be registered so that
	// protojson can resolve its "@type".
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/access_loggers/stream/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/clusters/aggregate/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/ext_proc/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/upstream_codec/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/http/early_header_mutation/header_mutation/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/retry/priority/previous_priorities/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"
)

// Files are the deployable configuration files, embedded so that
// `sluice dev` works from any directory.
//
//go:embed envoy.yaml envoy-tls.yaml istio/*.yaml
var Files embed.FS

// DecodeBootstrap decodes a bootstrap YAML document strictly and validates it,
// descending into every typed_config.
func DecodeBootstrap(data []byte) (*bootstrapv3.Bootstrap, error) {
	b := &bootstrapv3.Bootstrap{}
	if err := Unmarshal(data, b); err != nil {
		return nil, err
	}
	if err := Validate(b); err != nil {
		return nil, err
	}
	return b, nil
}

// Unmarshal decodes YAML into m the way Envoy does: unknown fields and
// unregistered "@type"s are errors.
func Unmarshal(data []byte, m proto.Message) error {
	js, err := yaml.YAMLToJSON(data)
	if err != nil {
		return fmt.Errorf("yaml: %w", err)
	}
	opts := protojson.UnmarshalOptions{DiscardUnknown: false, Resolver: protoregistry.GlobalTypes}
	if err := opts.Unmarshal(js, m); err != nil {
		return fmt.Errorf("decode %s: %w", m.ProtoReflect().Descriptor().FullName(), err)
	}
	return nil
}

// validator is what protoc-gen-validate generates for every Envoy message.
type validator interface{ ValidateAll() error }

// Validate runs ValidateAll on m and then on the content of every Any inside
// it, recursively. Generated ValidateAll methods stop at Any fields, which is
// where all of Envoy's filters, transport sockets and protocol options live.
func Validate(m proto.Message) error {
	return validateAt(m.ProtoReflect(), string(m.ProtoReflect().Descriptor().Name()))
}

func validateAt(m protoreflect.Message, path string) error {
	if v, ok := m.Interface().(validator); ok {
		if err := v.ValidateAll(); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	}
	var errs []error
	m.Range(func(fd protoreflect.FieldDescriptor, val protoreflect.Value) bool {
		if fd.Kind() != protoreflect.MessageKind && fd.Kind() != protoreflect.GroupKind {
			return true
		}
		at := path + "." + string(fd.Name())
		switch {
		case fd.IsList():
			l := val.List()
			for i := range l.Len() {
				errs = append(errs, validateNested(l.Get(i).Message(), fmt.Sprintf("%s[%d]", at, i)))
			}
		case fd.IsMap():
			if fd.MapValue().Kind() != protoreflect.MessageKind {
				return true
			}
			val.Map().Range(func(k protoreflect.MapKey, v protoreflect.Value) bool {
				errs = append(errs, validateNested(v.Message(), fmt.Sprintf("%s[%s]", at, k.String())))
				return true
			})
		default:
			errs = append(errs, validateNested(val.Message(), at))
		}
		return true
	})
	return errors.Join(errs...)
}

// validateNested unpacks an Any before descending; other messages were
// already checked by their parent's ValidateAll, but may hold Anys deeper down.
func validateNested(m protoreflect.Message, path string) error {
	a, ok := m.Interface().(*anypb.Any)
	if !ok {
		return validateAt(m, path)
	}
	inner, err := a.UnmarshalNew()
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return validateAt(inner.ProtoReflect(), fmt.Sprintf("%s(%s)", path, inner.ProtoReflect().Descriptor().Name()))
}
