package config

import (
	"math"

	"go.yaml.in/yaml/v3"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/structpb"
)

const structName = "google.protobuf.Struct"

func isStruct(fd protoreflect.FieldDescriptor) bool {
	return fd.Kind() == protoreflect.MessageKind && !fd.IsMap() && fd.Message().FullName() == structName
}

const valueName = "google.protobuf.Value"

// isValue reports a free-form field (any JSON value), such as a template
// variable's default.
func isValue(fd protoreflect.FieldDescriptor) bool {
	return fd.Kind() == protoreflect.MessageKind && !fd.IsList() && fd.Message().FullName() == valueName
}

// mapping iterates a mapping node's entries, rejecting non-scalar, merge
// and repeated keys, and records each key's line under its path.
func (d *decoder) mapping(n *yaml.Node, path string, each func(key string, val *yaml.Node, kpath string)) {
	if n.Kind != yaml.MappingNode {
		d.at(d.keyLine(n, path), path, nil, "want a mapping, got %s", describe(n))
		return
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], n.Content[i+1]
		switch {
		case key.Kind != yaml.ScalarNode || isNull(key):
			d.at(key.Line, path, nil, "keys must be plain names, got %s", describe(key))
			continue
		case key.ShortTag() == "!!merge":
			d.at(key.Line, path, nil, `merge keys ("<<") are not supported; write the fields out`)
			continue
		}
		kpath := join(path, key.Value)
		if seen[key.Value] {
			d.at(key.Line, kpath, nil, "key is set twice")
			continue
		}
		seen[key.Value] = true
		d.lines[kpath] = key.Line
		each(key.Value, val, kpath)
	}
}

// stringMap decodes a map<string, V> field whose values are scalars.
func (d *decoder) stringMap(n *yaml.Node, m protoreflect.Map, fd protoreflect.FieldDescriptor, path string) {
	d.mapping(n, path, func(key string, val *yaml.Node, kpath string) {
		if val = d.node(val, kpath); val == nil {
			return
		}
		if isNull(val) {
			d.at(val.Line, kpath, nil, "want a string, got nothing")
			return
		}
		if v, ok := d.scalar(val, fd.MapValue(), kpath); ok {
			m.Set(protoreflect.ValueOfString(key).MapKey(), v)
		}
	})
}

// object decodes free-form YAML into a Struct: a mapping at the top, then
// anything JSON can hold.
func (d *decoder) object(n *yaml.Node, path string) (*structpb.Struct, bool) {
	if n.Kind != yaml.MappingNode {
		d.at(d.keyLine(n, path), path, nil, "want a mapping, got %s", describe(n))
		return nil, false
	}
	v, ok := d.value(n, path)
	if !ok {
		return nil, false
	}
	return v.GetStructValue(), true
}

func (d *decoder) value(n *yaml.Node, path string) (*structpb.Value, bool) {
	if n = d.node(n, path); n == nil {
		return nil, false
	}
	switch n.Kind {
	case yaml.MappingNode:
		s := &structpb.Struct{Fields: map[string]*structpb.Value{}}
		ok := true
		d.mapping(n, path, func(key string, val *yaml.Node, kpath string) {
			v, vok := d.value(val, kpath)
			ok = ok && vok
			s.Fields[key] = v
		})
		return structpb.NewStructValue(s), ok
	case yaml.SequenceNode:
		l := &structpb.ListValue{}
		for i, item := range n.Content {
			v, ok := d.value(item, index(path, i))
			if !ok {
				return nil, false
			}
			l.Values = append(l.Values, v)
		}
		return structpb.NewListValue(l), true
	}
	return d.jsonScalar(n, path)
}

// jsonScalar converts a YAML scalar by its resolved tag. Times and other
// tags stay strings, as written.
func (d *decoder) jsonScalar(n *yaml.Node, path string) (*structpb.Value, bool) {
	switch n.ShortTag() {
	case "!!null":
		return structpb.NewNullValue(), true
	case "!!bool":
		var b bool
		if err := n.Decode(&b); err != nil {
			d.at(n.Line, path, err, "want true or false, got %q", n.Value)
			return nil, false
		}
		return structpb.NewBoolValue(b), true
	case "!!int", "!!float":
		var f float64
		if err := n.Decode(&f); err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			d.at(n.Line, path, err, "want a finite number, got %q", n.Value)
			return nil, false
		}
		return structpb.NewNumberValue(f), true
	}
	return structpb.NewStringValue(n.Value), true
}
