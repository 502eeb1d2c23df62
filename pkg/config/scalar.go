package config

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

const (
	durationName  = "google.protobuf.Duration"
	timestampName = "google.protobuf.Timestamp"
)

func isDuration(fd protoreflect.FieldDescriptor) bool {
	return fd.Kind() == protoreflect.MessageKind && fd.Message().FullName() == durationName
}

func isTimestamp(fd protoreflect.FieldDescriptor) bool {
	return fd.Kind() == protoreflect.MessageKind && fd.Message().FullName() == timestampName
}

// isScalarMessage reports the message types written as one YAML scalar.
func isScalarMessage(fd protoreflect.FieldDescriptor) bool {
	return isDuration(fd) || isTimestamp(fd)
}

// scalar converts a YAML scalar to a field value, reporting a type mismatch
// at the node.
func (d *decoder) scalar(n *yaml.Node, fd protoreflect.FieldDescriptor, path string) (protoreflect.Value, bool) {
	var want string
	switch {
	case isDuration(fd):
		want = `a duration such as "15s"`
	case isTimestamp(fd):
		want = `an RFC 3339 time such as "2027-01-01T00:00:00Z"`
	case fd.Kind() == protoreflect.StringKind:
		want = "a string"
	case fd.Kind() == protoreflect.Int64Kind && strings.HasSuffix(string(fd.Name()), "_bytes"):
		want = `a byte count such as 8388608 or "8MiB"`
	case fd.Kind() == protoreflect.Int64Kind:
		want = "an integer"
	case fd.Kind() == protoreflect.BoolKind:
		want = "true or false"
	case fd.Kind() == protoreflect.DoubleKind:
		want = "a number"
	default:
		// Only reachable if the schema grows a kind this decoder lacks.
		d.at(n.Line, path, nil, "field type %s is not supported in YAML", fd.Kind())
		return protoreflect.Value{}, false
	}
	if n.Kind != yaml.ScalarNode {
		d.at(d.keyLine(n, path), path, nil, "want %s, got %s", want, describe(n))
		return protoreflect.Value{}, false
	}
	v, err := convert(n, fd)
	if err != nil {
		// Scalars given to number and duration fields are quoted: those
		// values are never secrets, and seeing "15 seconds" helps.
		d.at(n.Line, path, err, "want %s, got %q", want, n.Value)
		return protoreflect.Value{}, false
	}
	return v, true
}

var errType = errors.New("wrong type")

func convert(n *yaml.Node, fd protoreflect.FieldDescriptor) (protoreflect.Value, error) {
	switch {
	case isDuration(fd):
		dur, err := time.ParseDuration(n.Value)
		if err != nil {
			return protoreflect.Value{}, err
		}
		return protoreflect.ValueOfMessage(durationpb.New(dur).ProtoReflect()), nil
	case isTimestamp(fd):
		t, err := time.Parse(time.RFC3339, n.Value)
		if err != nil {
			return protoreflect.Value{}, err
		}
		ts := timestamppb.New(t)
		if err := ts.CheckValid(); err != nil {
			return protoreflect.Value{}, err
		}
		return protoreflect.ValueOfMessage(ts.ProtoReflect()), nil
	case fd.Kind() == protoreflect.StringKind:
		// Any scalar is accepted as a string, so `api_version: 2024-10-21`
		// works unquoted; only a YAML null is not a string.
		return protoreflect.ValueOfString(n.Value), nil
	case fd.Kind() == protoreflect.Int64Kind && strings.HasSuffix(string(fd.Name()), "_bytes"):
		b, err := parseBytes(n.Value)
		return protoreflect.ValueOfInt64(b), err
	case fd.Kind() == protoreflect.Int64Kind:
		if n.ShortTag() != "!!int" {
			return protoreflect.Value{}, errType
		}
		i, err := strconv.ParseInt(n.Value, 10, 64)
		return protoreflect.ValueOfInt64(i), err
	case fd.Kind() == protoreflect.BoolKind:
		if n.ShortTag() != "!!bool" {
			return protoreflect.Value{}, errType
		}
		b, err := strconv.ParseBool(n.Value)
		return protoreflect.ValueOfBool(b), err
	case fd.Kind() == protoreflect.DoubleKind:
		if t := n.ShortTag(); t != "!!float" && t != "!!int" {
			return protoreflect.Value{}, errType
		}
		f, err := strconv.ParseFloat(n.Value, 64)
		return protoreflect.ValueOfFloat64(f), err
	}
	return protoreflect.Value{}, errType
}

// byteUnits are binary units only: "8MB" is left an error rather than
// guessing whether the user meant 8,000,000 or 8,388,608 bytes.
var byteUnits = []struct {
	suffix string
	size   int64
}{
	{"KiB", 1 << 10},
	{"MiB", 1 << 20},
	{"GiB", 1 << 30},
	{"B", 1},
}

// parseBytes reads a byte count: a plain integer or an integer with a
// binary unit ("8MiB").
func parseBytes(s string) (int64, error) {
	s = strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range byteUnits {
		if num, ok := strings.CutSuffix(s, u.suffix); ok {
			s, mult = strings.TrimSpace(num), u.size
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, err
	}
	if n > math.MaxInt64/mult || n < math.MinInt64/mult {
		return 0, strconv.ErrRange
	}
	return n * mult, nil
}
