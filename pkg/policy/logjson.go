package policy

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/sluice-gw/sluice/pkg/policyvm"
	"github.com/sluice-gw/sluice/pkg/translate/rawjson"
)

// jsonWriter appends AST values as the JSON that encoding/json writes for
// ast.JSON(v): objects with their keys in order, sets as arrays in their
// order. ast.JSON builds a map and an interface for every value, which
// made the decision log cost about 45 µs of CPU a decision in make bench;
// BenchmarkDecisionLogLine has the line cost both ways. An object with a
// key that is not a string (rare, and only in results) goes through
// ast.JSON, which turns such keys into their JSON text.
//
// Its callbacks for OPA's iterators are made once: a closure made per
// object would take the buffer to the heap with it, an allocation per
// value.
type jsonWriter struct {
	b       []byte
	member  func(k, v *ast.Term) error
	element func(t *ast.Term) error
}

func newJSONWriter() *jsonWriter {
	w := &jsonWriter{}
	w.member = func(k, v *ast.Term) error {
		w.comma()
		w.b = rawjson.AppendString(w.b, string(k.Value.(ast.String)))
		w.b = append(w.b, ':')
		return w.value(v.Value)
	}
	w.element = func(t *ast.Term) error {
		w.comma()
		return w.value(t.Value)
	}
	return w
}

// append appends v to b.
func (w *jsonWriter) append(b []byte, v ast.Value) ([]byte, error) {
	w.b = b
	err := w.value(v)
	b, w.b = w.b, nil
	return b, err
}

// comma separates a member or element from the one before it: a value
// never ends in '{' or '[', so those mean the container has just opened.
func (w *jsonWriter) comma() {
	if c := w.b[len(w.b)-1]; c != '{' && c != '[' {
		w.b = append(w.b, ',')
	}
}

func (w *jsonWriter) value(v ast.Value) error {
	switch v := v.(type) {
	case ast.Null:
		w.b = append(w.b, "null"...)
	case ast.Boolean:
		w.b = strconv.AppendBool(w.b, bool(v))
	case ast.Number:
		start := len(w.b)
		w.b = append(w.b, v...)
		if !json.Valid(w.b[start:]) {
			w.b = w.b[:start]
			return fmt.Errorf("invalid number %q", string(v))
		}
	case ast.String:
		w.b = rawjson.AppendString(w.b, string(v))
	case *ast.Array:
		w.b = append(w.b, '[')
		for i := range v.Len() {
			if err := w.element(v.Elem(i)); err != nil {
				return err
			}
		}
		w.b = append(w.b, ']')
	case ast.Set:
		w.b = append(w.b, '[')
		if err := v.Iter(w.element); err != nil {
			return err
		}
		w.b = append(w.b, ']')
	case ast.Object:
		return w.object(v)
	case *policyvm.Record:
		// Its keys are strings, in order.
		w.b = append(w.b, '{')
		if err := v.Iter(w.member); err != nil {
			return err
		}
		w.b = append(w.b, '}')
	default:
		return fmt.Errorf("%s requires evaluation", ast.ValueName(v))
	}
	return nil
}

func (w *jsonWriter) object(o ast.Object) error {
	if o.Until(notStringKey) {
		x, err := ast.JSON(o)
		if err != nil {
			return err
		}
		raw, err := json.Marshal(x)
		if err != nil {
			return err
		}
		w.b = append(w.b, raw...)
		return nil
	}
	// Keys in the object's order, which for strings is byte order: the
	// order encoding/json gives a map's keys.
	w.b = append(w.b, '{')
	if err := o.Iter(w.member); err != nil {
		return err
	}
	w.b = append(w.b, '}')
	return nil
}

func notStringKey(k, _ *ast.Term) bool {
	_, ok := k.Value.(ast.String)
	return !ok
}
