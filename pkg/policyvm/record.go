package policyvm

import (
	"fmt"
	"sync/atomic"

	"github.com/open-policy-agent/opa/v1/ast"
)

// A Record is an object whose keys are known before it is built, such as
// the input document a host makes for every evaluation. OPA's objects
// hash every key into a map when they are built and again on every
// lookup; a record keeps its values in a slice beside a shared, sorted
// list of keys, so building one costs a slice, and a member read
// (input.request.model) is a short scan.
//
// Only the evaluation reads a record's members directly. Anything else it
// does with one (iterate it, compare it, hand it to a built-in, return
// it) sees the ast.Object that Object builds, once, on first need. A
// record must not change once an evaluation has seen it.
type Record struct {
	keys *RecordKeys
	vals []*ast.Term
	obj  atomic.Pointer[ast.Term]
}

// RecordKeys are the keys of one kind of record, sorted.
type RecordKeys struct {
	strs  []string
	terms []*ast.Term
	// marker stands for a record of this kind in a remembered result's
	// key, where only the record's presence was read, and id tells the
	// kinds apart in its hash (see readmemo.go).
	marker *ast.Term
	id     uint64
}

// recordKinds numbers the kinds of record.
var recordKinds atomic.Uint64

// NewRecordKeys returns the keys of a kind of record. They must be given
// in sorted order and without repeats, so that a record's values are
// listed in the order an object's members are; it panics otherwise.
func NewRecordKeys(keys ...string) *RecordKeys {
	rk := &RecordKeys{strs: keys, terms: make([]*ast.Term, len(keys))}
	for i, k := range keys {
		if i > 0 && keys[i-1] >= k {
			panic(fmt.Sprintf("policyvm: record keys not sorted or repeated at %q", k))
		}
		rk.terms[i] = ast.StringTerm(k)
	}
	rk.marker = &ast.Term{Value: &Record{keys: rk}}
	rk.id = recordKinds.Add(1)
	return rk
}

// Len is the number of keys.
func (rk *RecordKeys) Len() int { return len(rk.strs) }

// Index is the position of key, or -1.
func (rk *RecordKeys) Index(key string) int {
	for i, k := range rk.strs {
		if k == key {
			return i
		}
	}
	return -1
}

// NewRecord returns the record holding vals, one per key in keys' order;
// a nil value leaves its key out. The record keeps vals. A value may be a
// record, but nothing else may hold one: an array or an object of records
// would hand them to code that only knows OPA's values.
func NewRecord(keys *RecordKeys, vals []*ast.Term) *Record {
	if len(vals) != len(keys.strs) {
		panic(fmt.Sprintf("policyvm: %d values for %d record keys", len(vals), len(keys.strs)))
	}
	return &Record{keys: keys, vals: vals}
}

// Iter calls f with each present member, in key order, until f fails.
func (r *Record) Iter(f func(k, v *ast.Term) error) error {
	for i, v := range r.vals {
		if v != nil {
			if err := f(r.keys.terms[i], v); err != nil {
				return err
			}
		}
	}
	return nil
}

// index is the position of key among rk's keys, or -1.
func (rk *RecordKeys) index(key *ast.Term) int {
	if s, ok := key.Value.(ast.String); ok {
		return rk.Index(string(s))
	}
	return -1
}

// Term is the record as a term holding an ast.Object, built on the first
// call; records among its values are turned into objects too.
func (r *Record) Term() *ast.Term {
	if t := r.obj.Load(); t != nil {
		return t
	}
	items := make([][2]*ast.Term, 0, len(r.vals))
	_ = r.Iter(func(k, v *ast.Term) error {
		items = append(items, [2]*ast.Term{k, Plain(v)})
		return nil
	})
	t := ast.NewTerm(ast.NewObject(items...))
	if !r.obj.CompareAndSwap(nil, t) {
		return r.obj.Load()
	}
	return t
}

// Object is the record as an ast.Object.
func (r *Record) Object() ast.Object { return r.Term().Value.(ast.Object) }

// Plain is t with a record turned into its object: what code other than
// the evaluation's member reads may be shown.
func Plain(t *ast.Term) *ast.Term {
	if t != nil {
		if r, ok := t.Value.(*Record); ok {
			return r.Term()
		}
	}
	return t
}

func plainValue(v ast.Value) ast.Value {
	if r, ok := v.(*Record); ok {
		return r.Object()
	}
	return v
}

// Compare compares the record's object with other, as ast.Value's does.
func (r *Record) Compare(other ast.Value) int { return r.Object().Compare(plainValue(other)) }

// Find is the value at path in the record's object.
func (r *Record) Find(path ast.Ref) (ast.Value, error) { return r.Object().Find(path) }

// Hash is the hash of the record's object.
func (r *Record) Hash() int { return r.Object().Hash() }

// IsGround is true: a record holds values, never variables.
func (r *Record) IsGround() bool { return true }

// String is the record's object as Rego.
func (r *Record) String() string { return r.Object().String() }

// StringLength is the length of String.
func (r *Record) StringLength() int { return r.Object().StringLength() }
