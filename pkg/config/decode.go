package config

import (
	"bytes"
	"errors"
	"io"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
	"google.golang.org/protobuf/reflect/protoreflect"

	configv1 "github.com/sluice-gw/sluice/api/sluice/config/v1"
)

// maxNodes bounds the YAML nodes one decode visits. Aliases can make a small
// file expand exponentially ("billion laughs"); a real config has a few
// hundred nodes.
const maxNodes = 100_000

// decoder walks a YAML tree against the schema's descriptors, building the
// proto as it goes. Walking the tree ourselves, rather than converting YAML
// to JSON for protojson, is what lets every error carry a path and a line.
type decoder struct {
	*problems
	budget int
}

// decode parses src into a Config. All decode errors are collected in p.
func decode(src []byte, p *problems) *configv1.Config {
	root, ok := parseYAML(src, p)
	if !ok {
		return nil
	}
	cfg := &configv1.Config{}
	d := &decoder{problems: p, budget: maxNodes}
	d.message(root, cfg.ProtoReflect(), "")
	return cfg
}

// parseYAML returns the single document's root node.
func parseYAML(src []byte, p *problems) (*yaml.Node, bool) {
	dec := yaml.NewDecoder(bytes.NewReader(src))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			p.at(0, "", nil, "config is empty")
		} else {
			syntaxError(p, err)
		}
		return nil, false
	}
	for {
		var extra yaml.Node
		err := dec.Decode(&extra)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil || len(extra.Content) > 0 && !isNull(extra.Content[0]) {
			p.at(extra.Line, "", err, "more than one YAML document; Sluice reads one config per file")
			return nil, false
		}
	}
	if len(doc.Content) == 0 || isNull(doc.Content[0]) {
		p.at(0, "", nil, "config is empty")
		return nil, false
	}
	return doc.Content[0], true
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): `)

// syntaxError moves the YAML library's "line N" into the position prefix so
// syntax errors look like every other config error.
func syntaxError(p *problems, err error) {
	msg := err.Error()
	line := 0
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1]) // the pattern guarantees digits
		msg = msg[len(m[0]):]
	} else {
		msg = strings.TrimPrefix(msg, "yaml: ")
	}
	p.at(line, "", err, "invalid YAML: %s", msg)
}

// node resolves aliases and charges the node budget. It returns nil once the
// budget is spent, after reporting it once.
func (d *decoder) node(n *yaml.Node, path string) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	d.budget--
	switch {
	case n == nil || d.budget < 0:
		return nil
	case d.budget == 0:
		d.at(n.Line, path, nil, "document too large: more than %d YAML nodes after expanding aliases", maxNodes)
		return nil
	}
	return n
}

func (d *decoder) message(n *yaml.Node, m protoreflect.Message, path string) {
	if n = d.node(n, path); n == nil {
		return
	}
	if n.Kind != yaml.MappingNode {
		d.at(d.keyLine(n, path), path, nil, "want a mapping, got %s", describe(n))
		return
	}
	fields := m.Descriptor().Fields()
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], n.Content[i+1]
		name := key.Value
		if key.Kind != yaml.ScalarNode {
			d.at(key.Line, path, nil, "keys must be plain names, got %s", describe(key))
			continue
		}
		if key.ShortTag() == "!!merge" {
			d.at(key.Line, path, nil, `merge keys ("<<") are not supported; write the fields out`)
			continue
		}
		fd := fields.ByName(protoreflect.Name(name))
		if fd == nil {
			d.at(key.Line, path, nil, "unknown field %q", name)
			continue
		}
		fpath := join(path, name)
		if seen[name] {
			d.at(key.Line, fpath, nil, "field is set twice")
			continue
		}
		seen[name] = true
		d.lines[fpath] = key.Line
		d.field(val, m, fd, fpath)
	}
}

// field sets one field. A YAML null (`key:` or `key: ~`) leaves it unset.
func (d *decoder) field(n *yaml.Node, m protoreflect.Message, fd protoreflect.FieldDescriptor, path string) {
	if n = d.node(n, path); n == nil || isNull(n) {
		return
	}
	if oo := fd.ContainingOneof(); oo != nil && !oo.IsSynthetic() {
		if other := m.WhichOneof(oo); other != nil {
			d.at(d.keyLine(n, path), parent(path), nil, "only one of %s may be set, got %s and %s",
				oneofNames(oo), other.Name(), fd.Name())
			return
		}
	}
	switch {
	case fd.IsList():
		d.list(n, m.Mutable(fd).List(), fd, path)
	case fd.IsMap():
		d.stringMap(n, m.Mutable(fd).Map(), fd, path)
	case isStruct(fd):
		if s, ok := d.object(n, path); ok {
			m.Set(fd, protoreflect.ValueOfMessage(s.ProtoReflect()))
		}
	case isValue(fd):
		if v, ok := d.value(n, path); ok {
			m.Set(fd, protoreflect.ValueOfMessage(v.ProtoReflect()))
		}
	case fd.Kind() == protoreflect.MessageKind && !isScalarMessage(fd):
		d.message(n, m.Mutable(fd).Message(), path)
	default:
		if v, ok := d.scalar(n, fd, path); ok {
			m.Set(fd, v)
		}
	}
}

func (d *decoder) list(n *yaml.Node, l protoreflect.List, fd protoreflect.FieldDescriptor, path string) {
	if n.Kind != yaml.SequenceNode {
		d.at(d.keyLine(n, path), path, nil, "want a list, got %s", describe(n))
		return
	}
	for i, item := range n.Content {
		ipath := index(path, i)
		d.lines[ipath] = item.Line
		if fd.Kind() == protoreflect.MessageKind && !isScalarMessage(fd) {
			el := l.NewElement()
			d.message(item, el.Message(), ipath)
			l.Append(el)
			continue
		}
		item = d.node(item, ipath)
		if item == nil {
			return
		}
		if isNull(item) {
			d.at(item.Line, ipath, nil, "list items cannot be empty")
			continue
		}
		if v, ok := d.scalar(item, fd, ipath); ok {
			l.Append(v)
		}
	}
}

// keyLine is the line of the key that introduced path, where the user looks
// for a field, falling back to the value's own line.
func (d *decoder) keyLine(n *yaml.Node, path string) int {
	if l, ok := d.lines[path]; ok {
		return l
	}
	return n.Line
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// describe names a node's YAML type for "want X, got Y" messages. It never
// quotes a string's value: a user who writes `credential: sk-...` must not
// find the key repeated in a log.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	switch n.ShortTag() {
	case "!!int", "!!float":
		return "a number"
	case "!!bool":
		return "a boolean"
	case "!!null":
		return "nothing"
	}
	return "a string"
}

func oneofNames(oo protoreflect.OneofDescriptor) string {
	fs := oo.Fields()
	names := make([]string, fs.Len())
	for i := range fs.Len() {
		names[i] = string(fs.Get(i).Name())
	}
	return strings.Join(names, ", ")
}
