package policyvm

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
)

// The tests here look inside an Instance, to show that what may be shared
// between evaluations is, and that what may not be is not: TestShared in
// vm_test.go shows only that results are right, which they would also be
// with nothing shared at all.

// PlanTestdata plans an entrypoint of testdata/cache.rego. It is
// exported for the package's external tests too (vm_test.go).
func PlanTestdata(t *testing.T, entrypoint string) *Program {
	t.Helper()
	return PlanFile(t, "cache.rego", entrypoint)
}

// PlanFile plans an entrypoint of the Rego file name in testdata.
func PlanFile(t *testing.T, name, entrypoint string) *Program {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	m, err := ast.ParseModuleWithOpts(name, string(src), ast.ParserOptions{RegoVersion: ast.RegoV1})
	if err != nil {
		t.Fatal(err)
	}
	prog, err := Plan(context.Background(), map[string]*ast.Module{name: m}, entrypoint)
	if err != nil {
		t.Fatal(err)
	}
	return prog
}

// funcNamed is the plan's function for a rule or function of cache.rego.
func funcNamed(t *testing.T, prog *Program, rule string) *function {
	t.Helper()
	for _, fn := range prog.funcs {
		if fn.name == "g0.data.vmtest."+rule {
			return fn
		}
	}
	t.Fatalf("no function for %s in the plan", rule)
	return nil
}

func evalInternal(t *testing.T, in *Instance, input string) *ast.Term {
	t.Helper()
	rs, err := in.Eval(context.Background(), ast.MustParseTerm(input), Options{Time: time.Unix(1000, 0)})
	if err != nil {
		t.Fatal(err)
	}
	return Result(rs)
}

// each calls f with every entry c holds, walking its table rather than
// trusting its counter.
func (c *argCache) each(f func(argEntry)) {
	t := c.t.Load()
	if t == nil {
		return
	}
	for i := range t.slots {
		if s := t.slots[i].Load(); s != nil {
			for _, ent := range s.entries {
				f(ent)
			}
		}
	}
}

// entries counts the argument sets c holds.
func (c *argCache) entries() int {
	n := 0
	c.each(func(argEntry) { n++ })
	return n
}

// cachedFor is what c holds for one argument value, nil when nothing.
func (c *argCache) cachedFor(arg *ast.Term) *ast.Term {
	var found *ast.Term
	c.each(func(ent argEntry) {
		if found == nil && len(ent.args) == 1 && ent.args[0].Equal(arg) {
			found = ent.v
		}
	})
	return found
}

func TestSharingHappens(t *testing.T) {
	prog := PlanTestdata(t, "vmtest/result")
	in := prog.Instance(ast.MustParseTerm(`{"limits": {"max": 3}}`))
	evalInternal(t, in, `{"n": 1}`)

	// limit reads only data: its value is kept in the Instance, and it is
	// the data's 3, not the 7 limit_with computes it as under with.
	limit := funcNamed(t, prog, "limit")
	if limit.consts < 0 {
		t.Fatal("limit has no shared slot")
	}
	kept := in.consts[limit.consts].Load()
	if kept == nil || kept.String() != "3" {
		t.Fatalf("limit's shared slot holds %v, want 3", kept)
	}
	literal := funcNamed(t, prog, "literal")
	if literal.consts < 0 || in.consts[literal.consts].Load() == nil {
		t.Error("literal, a constant, is not kept")
	}

	// double is called with input.n: one entry, for 1.
	double := funcNamed(t, prog, "double")
	if double.args < 0 {
		t.Fatal("double has no argument cache")
	}
	dc := &in.args[double.args]
	if n := dc.entries(); n != 1 || dc.n != 1 {
		t.Fatalf("double's cache holds %d entries (counter %d), want 1", n, dc.n)
	}
	if v := dc.cachedFor(ast.IntNumberTerm(1)); v == nil || v.String() != "2" {
		t.Fatalf("double's cache holds %v for 1, want 2", v)
	}

	// Rules that read the input or the time, use with, or are built from
	// such rules have nowhere to be kept.
	for _, rule := range []string{"echo", "now", "limit_with", "echo_with", "by_arg", "extended", "grown", "result"} {
		if fn := funcNamed(t, prog, rule); fn.consts >= 0 || fn.args >= 0 {
			t.Errorf("%s is shared (consts slot %d, argument cache %d)", rule, fn.consts, fn.args)
		}
	}

	// A second evaluation reuses limit's value and adds 2 to double's.
	evalInternal(t, in, `{"n": 2}`)
	if in.consts[limit.consts].Load() != kept {
		t.Error("limit was computed again")
	}
	if n := dc.entries(); n != 2 {
		t.Errorf("after a second argument, double's cache holds %d entries, want 2", n)
	}
	// The same argument again adds nothing.
	evalInternal(t, in, `{"n": 1}`)
	if n := dc.entries(); n != 2 || dc.n != 2 {
		t.Errorf("after a repeated argument, double's cache holds %d entries (counter %d), want 2", n, dc.n)
	}

	// Another data document starts empty.
	other := prog.Instance(ast.MustParseTerm(`{"limits": {"max": 5}}`))
	if other.consts[limit.consts].Load() != nil || other.args[double.args].entries() != 0 {
		t.Error("a new Instance starts with shared values")
	}
}

func TestSharingSkipsImpureArgs(t *testing.T) {
	prog := PlanTestdata(t, "vmtest/args_impure")
	in := prog.Instance(nil)
	got := evalInternal(t, in, `{"n": 1}`)
	want := ast.MustParseTerm(`[2, 1000000000001, 10, 3]`)
	if got == nil || !got.Equal(want) {
		t.Fatalf("args_impure = %v, want %v", got, want)
	}
	for _, name := range []string{"plus_n", "stamp", "traced"} {
		if fn := funcNamed(t, prog, name); fn.consts >= 0 || fn.args >= 0 {
			t.Errorf("%s is shared (consts slot %d, argument cache %d)", name, fn.consts, fn.args)
		}
	}
	// double may be shared, but was called only under with.
	double := funcNamed(t, prog, "double")
	if double.args < 0 {
		t.Fatal("double has no argument cache")
	}
	if n := in.args[double.args].entries(); n != 0 {
		t.Errorf("double, called only under with, has %d cached entries, want 0", n)
	}
}

func TestSharingBound(t *testing.T) {
	prog := PlanTestdata(t, "vmtest/by_arg")
	in := prog.Instance(nil)
	double := funcNamed(t, prog, "double")
	if double.args < 0 {
		t.Fatal("double has no argument cache")
	}
	const n = maxArgEntries + 50
	for i := range n {
		// Past the bound double is evaluated rather than kept, and still
		// right.
		if got := evalInternal(t, in, `{"n": `+ast.IntNumberTerm(i).String()+`}`); got == nil || got.String() != ast.IntNumberTerm(2*i).String() {
			t.Fatalf("by_arg for %d = %v, want %d", i, got, 2*i)
		}
	}
	dc := &in.args[double.args]
	if got := dc.entries(); got != maxArgEntries || dc.n != maxArgEntries {
		t.Fatalf("after %d argument sets, double's cache holds %d entries (counter %d), want %d", n, got, dc.n, maxArgEntries)
	}
	if dc.cachedFor(ast.IntNumberTerm(n-1)) != nil {
		t.Error("an argument set past the bound was kept")
	}
	if v := dc.cachedFor(ast.IntNumberTerm(0)); v == nil || v.String() != "0" {
		t.Errorf("the first argument set is not kept: %v", v)
	}
}

// argHashes are hashes an argument cache must tell apart: sequential ones,
// ones that differ only in their high bits, and hashArgs's polynomial sums,
// whose low bits cluster.
func argHashes(n int) []uint64 {
	seen := map[uint64]bool{}
	hs := make([]uint64, 0, n)
	for i := range uint64(n / 3) {
		for _, h := range []uint64{i, i<<40 | 1, 1 + 31*i} {
			if !seen[h] {
				seen[h] = true
				hs = append(hs, h)
			}
		}
	}
	return hs
}

func TestArgTableKeepsEveryHashAsItGrows(t *testing.T) {
	var c argCache
	hs := argHashes(3 * maxArgEntries)
	for i, h := range hs {
		c.add(&argSlot{h: h, entries: []argEntry{{v: ast.IntNumberTerm(i)}}})
	}
	for _, h := range hs {
		s := c.find(h)
		if s == nil || s.h != h {
			t.Fatalf("hash %#x not found after %d slots", h, len(hs))
		}
	}
	if s := c.find(1 << 63); s != nil {
		t.Errorf("a hash never added found slot %#x", s.h)
	}
	if tb := c.t.Load(); 2*tb.used > len(tb.slots) {
		t.Errorf("table of %d slots holds %d: more than half full", len(tb.slots), tb.used)
	}
}

// TestArgTableReadsWhileWriting runs readers against a writer that grows
// the table and replaces every slot with a longer one; readers check that
// each slot they find is one the writer published, whole. Under -race it
// also checks that reads need no lock.
func TestArgTableReadsWhileWriting(t *testing.T) {
	hs := argHashes(3000)
	value := func(i, j int) *ast.Term { return ast.IntNumberTerm(2*i + j) }
	slot := func(i, n int) *argSlot {
		s := &argSlot{h: hs[i]}
		for j := range n {
			s.entries = append(s.entries, argEntry{v: value(i, j)})
		}
		return s
	}
	for range 3 {
		var c argCache
		var started, readers sync.WaitGroup
		done := make(chan struct{})
		for range 4 {
			started.Add(1)
			readers.Go(func() {
				started.Done()
				for {
					select {
					case <-done:
						return
					default:
					}
					for i, h := range hs {
						s := c.find(h)
						if s == nil {
							continue
						}
						if n := len(s.entries); n < 1 || n > 2 {
							t.Errorf("hash %#x: a slot of %d entries", h, n)
							return
						}
						for j, ent := range s.entries {
							if !ent.v.Equal(value(i, j)) {
								t.Errorf("hash %#x: entry %d is %v, want %v", h, j, ent.v, value(i, j))
								return
							}
						}
					}
				}
			})
		}
		started.Wait()
		c.mu.Lock()
		for i := range hs {
			c.add(slot(i, 1))
		}
		for i := range hs {
			c.add(slot(i, 2))
		}
		c.mu.Unlock()
		close(done)
		readers.Wait()
		for _, h := range hs {
			if s := c.find(h); s == nil || len(s.entries) != 2 {
				t.Fatalf("hash %#x lost or not replaced", h)
			}
		}
	}
}

// BenchmarkArgCacheFind is the hit path of a function's shared results:
// the table, against the sync.Map keyed by hash it replaced.
func BenchmarkArgCacheFind(b *testing.B) {
	hs := argHashes(600)
	var c argCache
	var m sync.Map
	for i, h := range hs {
		s := &argSlot{h: h, entries: []argEntry{{v: ast.IntNumberTerm(i)}}}
		c.add(s)
		m.Store(h, s.entries)
	}
	b.Run("table", func(b *testing.B) {
		for b.Loop() {
			for _, h := range hs {
				if c.find(h) == nil {
					b.Fatal("miss")
				}
			}
		}
	})
	b.Run("sync.Map", func(b *testing.B) {
		for b.Loop() {
			for _, h := range hs {
				if _, ok := m.Load(h); !ok {
					b.Fatal("miss")
				}
			}
		}
	})
}
