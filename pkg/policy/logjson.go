package policy

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/sluice-gw/sluice/pkg/translate/rawjson"
)

// appendJSON appends v as the JSON that encoding/json writes for
// ast.JSON(v): objects with their keys in order, sets as arrays in their
// order. ast.JSON builds a map and an interface for every value, which
// made the decision log cost about 45 µs of CPU a decision in make bench;
// written directly, the input is a few microseconds. An object with a key
// that is not a string (rare, and only in results) goes through ast.JSON,
// which turns such keys into their JSON text.
func appendJSON(b []byte, v ast.Value) ([]byte, error) {
	switch v := v.(type) {
	case ast.Null:
		return append(b, "null"...), nil
	case ast.Boolean:
		return strconv.AppendBool(b, bool(v)), nil
	case ast.Number:
		start := len(b)
		b = append(b, v...)
		if !json.Valid(b[start:]) {
			return b[:start], fmt.Errorf("invalid number %q", string(v))
		}
		return b, nil
	case ast.String:
		return rawjson.AppendString(b, string(v)), nil
	case *ast.Array:
		b = append(b, '[')
		for i := range v.Len() {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendJSON(b, v.Elem(i).Value); err != nil {
				return b, err
			}
		}
		return append(b, ']'), nil
	case ast.Set:
		b = append(b, '[')
		first := true
		err := v.Iter(func(t *ast.Term) error {
			if !first {
				b = append(b, ',')
			}
			first = false
			var err error
			b, err = appendJSON(b, t.Value)
			return err
		})
		return append(b, ']'), err
	case ast.Object:
		return appendObjectJSON(b, v)
	}
	return b, fmt.Errorf("%s requires evaluation", ast.ValueName(v))
}

func appendObjectJSON(b []byte, o ast.Object) ([]byte, error) {
	otherKey := o.Until(func(k, _ *ast.Term) bool {
		_, ok := k.Value.(ast.String)
		return !ok
	})
	if otherKey {
		x, err := ast.JSON(o)
		if err != nil {
			return b, err
		}
		raw, err := json.Marshal(x)
		if err != nil {
			return b, err
		}
		return append(b, raw...), nil
	}
	// Keys in the object's order, which for strings is byte order: the
	// order encoding/json gives a map's keys.
	b = append(b, '{')
	first := true
	err := o.Iter(func(k, v *ast.Term) error {
		if !first {
			b = append(b, ',')
		}
		first = false
		b = rawjson.AppendString(b, string(k.Value.(ast.String)))
		b = append(b, ':')
		var err error
		b, err = appendJSON(b, v.Value)
		return err
	})
	return append(b, '}'), err
}
