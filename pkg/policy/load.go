package policy

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/bundle"
	"github.com/open-policy-agent/opa/v1/loader"

	"github.com/sluice-gw/sluice/pkg/policyvm"
)

// compiled is one version of the policy, compiled once and shared by every
// state built on it (a catalogue or data change does not recompile).
type compiled struct {
	compiler *ast.Compiler
	data     ast.Object // the policy's own data files, at their data paths
	revision string     // content hash, or the bundle's revision
	bundle   *bundleRef // set in bundle mode
	consts   *constRules
	// modules are the policy as parsed, before the compiler rewrote it:
	// the planner compiles them again for the compiled evaluator.
	modules map[string]*ast.Module
	plans   planned
	// readsTokens is whether the policy may read
	// input.request.input_tokens_estimate (readsInput).
	readsTokens bool
}

// planned is the policy compiled by OPA's planner for the compiled
// evaluator, once per policy version.
type planned struct {
	once sync.Once
	prog *policyvm.Program
	err  error
}

// reserved are the data.sluice keys Sluice fills from its configuration.
// A policy may read them but not define them.
var (
	kSluice  = key("sluice")
	reserved = []*ast.Term{kTenants, kModels, kBackends, kConfig}
)

// loadDir reads the policy directory with OPA's bundle loader, so a
// directory and a downloaded bundle go through the same code.
func loadDir(dir string) (*bundle.Bundle, error) {
	// The loader walks the tree without following a symlinked root.
	dir, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return nil, err
	}
	b, err := loader.NewFileLoader().
		WithFilter(policyFilter(dir)).
		WithFollowSymlinks(true).
		AsBundle(dir)
	if err != nil {
		return nil, fmt.Errorf("loading %s: %w", dir, err)
	}
	return b, nil
}

// policyFilter returns the loader's filter (true = skip) for the policy
// directory root. It keeps .rego files that are not tests, data files and
// the manifest. Below the root it skips hidden entries, which also skips
// the timestamped directories Kubernetes mounts a ConfigMap through, and
// testdata directories, which hold example inputs, not policy data.
func policyFilter(root string) loader.Filter {
	root = filepath.ToSlash(filepath.Clean(root))
	return func(path string, info fs.FileInfo, _ int) bool {
		if info.IsDir() {
			return filepath.ToSlash(filepath.Clean(path)) != root && skipDir(info.Name())
		}
		return !policyFile(info.Name())
	}
}

func skipDir(name string) bool { return strings.HasPrefix(name, ".") || name == "testdata" }

func policyFile(name string) bool {
	switch {
	case name == bundle.ManifestExt:
		return true
	case strings.HasPrefix(name, "."), strings.HasSuffix(name, "_test.rego"):
		return false
	case strings.HasSuffix(name, bundle.RegoExt):
		return true
	}
	return bundle.IsStructuredDoc(name)
}

// compile checks and compiles a loaded policy strictly: unused variables
// and imports, shadowed input and data, and deprecated built-ins are errors.
func compile(b *bundle.Bundle, revision string) (*compiled, error) {
	switch {
	case b.Type() == bundle.DeltaBundleType:
		return nil, errors.New("delta bundles are not supported")
	case len(b.WasmModules) > 0 || len(b.PlanModules) > 0:
		return nil, errors.New("wasm and plan modules are not supported")
	}
	modules := make(map[string]*ast.Module, len(b.Modules))
	for _, m := range b.Modules {
		if !strings.HasSuffix(m.Path, "_test.rego") {
			modules[m.Path] = m.Parsed
		}
	}
	if len(modules) == 0 {
		return nil, errors.New("no .rego files")
	}
	c := ast.NewCompiler().WithStrict(true)
	c.Compile(modules)
	if c.Failed() {
		return nil, c.Errors
	}
	data, err := ast.InterfaceToValue(b.Data)
	if err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	obj, ok := data.(ast.Object)
	if !ok {
		obj = ast.NewObject()
	}
	if err := checkReserved(c, obj); err != nil {
		return nil, err
	}
	return &compiled{compiler: c, data: obj, revision: revision, consts: findConstRules(c), modules: modules,
		readsTokens: readsInput(c, tokenEstimatePath)}, nil
}

// checkReserved refuses data files and rules that would collide with the
// configuration Sluice places under data.sluice.
func checkReserved(c *ast.Compiler, data ast.Object) error {
	var sluice ast.Object
	if t := data.Get(kSluice); t != nil {
		sluice, _ = t.Value.(ast.Object)
	}
	for _, k := range reserved {
		ref := ast.Ref{ast.DefaultRootDocument, kSluice, k}
		if sluice != nil && sluice.Get(k) != nil {
			return fmt.Errorf("policy data sets %s, which Sluice fills from its configuration", ref)
		}
		if rules := c.GetRules(ref); len(rules) > 0 {
			return fmt.Errorf("%s: a rule defines %s, which Sluice fills from its configuration",
				rules[0].Location, ref)
		}
	}
	return nil
}

// contentRevision identifies a directory's policy by what it contains, so
// an event that changes nothing (a touch, an edited test) does not reload.
func contentRevision(b *bundle.Bundle) string {
	h := sha256.New()
	mods := make([]bundle.ModuleFile, 0, len(b.Modules))
	for _, m := range b.Modules {
		if !strings.HasSuffix(m.Path, "_test.rego") {
			mods = append(mods, m)
		}
	}
	sort.Slice(mods, func(i, j int) bool { return mods[i].Path < mods[j].Path })
	for _, m := range mods {
		fmt.Fprintf(h, "%s\x00%d\x00", m.Path, len(m.Raw))
		h.Write(m.Raw)
	}
	data, _ := json.Marshal(b.Data) // maps marshal with sorted keys; bundle data always marshals
	h.Write(data)
	h.Write([]byte(b.Manifest.Revision))
	return hex.EncodeToString(h.Sum(nil))[:12]
}
