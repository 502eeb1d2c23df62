package config

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/sluice-gw/sluice/pkg/identity/apikey"
)

// FuzzParse checks that no input panics or hangs Parse, and that whatever
// it accepts is internally consistent. Seeds are the fixtures plus the
// committed corpus in testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	seeds, err := filepath.Glob("testdata/*/*.yaml")
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range seeds {
		src, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(src)
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		snap, err := Parse("fuzz.yaml", src, LoadOptions{})
		if err != nil {
			checkErrors(t, err)
			return
		}
		checkSnapshot(t, snap)
	})
}

// checkErrors asserts every problem is a located *Error.
func checkErrors(t *testing.T, err error) {
	t.Helper()
	joined, ok := err.(interface{ Unwrap() []error })
	if !ok {
		joined = joinedOne{err}
	}
	for _, e := range joined.Unwrap() {
		var ce *Error
		if !errors.As(e, &ce) || ce.Msg == "" {
			t.Fatalf("problem %q is not a *config.Error with a message", e)
		}
	}
}

type joinedOne struct{ err error }

func (j joinedOne) Unwrap() []error { return []error{j.err} }

func checkSnapshot(t *testing.T, snap *Snapshot) {
	t.Helper()
	s := snap.Server
	if s.MaxRequestBodyBytes <= 0 || s.MaxResponseBodyBytes <= 0 || s.ShutdownGrace < 0 || s.GRPCAddress == "" {
		t.Fatalf("accepted bad server settings %+v", s)
	}
	if len(snap.Models) == 0 || len(snap.Backends) == 0 {
		t.Fatal("accepted a config with no models or backends")
	}
	for _, m := range snap.Models {
		if m.Backend == nil || m.UpstreamModel == "" {
			t.Fatalf("model %q has no backend or upstream model", m.Name)
		}
		for _, name := range append([]string{m.Name}, m.Aliases...) {
			if got, ok := snap.Model(name); !ok || got != m {
				t.Fatalf("Model(%q) does not find its model", name)
			}
		}
	}
	checkAccess(t, snap)
}

// checkAccess asserts the identity, tenant, policy and chain invariants
// validation promises.
func checkAccess(t *testing.T, snap *Snapshot) {
	t.Helper()
	for _, k := range snap.Identity.Keys {
		if _, err := apikey.ParseDigest(k.Hash); err != nil || !apikey.ValidID(k.ID) {
			t.Fatalf("accepted key record %+v", k)
		}
		if len(snap.Tenants) > 0 && k.Tenant != "" && snap.Tenants[k.Tenant] == nil {
			t.Fatalf("key %s names unknown tenant %q", k.ID, k.Tenant)
		}
	}
	for _, tn := range snap.Tenants {
		for _, m := range tn.Models {
			if got, ok := snap.Model(m); !ok || got.Name != m {
				t.Fatalf("tenant %q allows %q, which is not a model name", tn.Name, m)
			}
		}
	}
	for name, c := range snap.FallbackChains {
		if len(c.Backends) < 2 || snap.Backends[name] != nil {
			t.Fatalf("accepted chain %q with %d backends", name, len(c.Backends))
		}
		for _, b := range c.Backends {
			if b == nil {
				t.Fatalf("chain %q has an unknown backend", name)
			}
		}
	}
	if p := snap.Policy; p != nil && (p.Query == "" || p.Data == nil || p.Dir == "" && p.Bundle == nil) {
		t.Fatalf("accepted policy %+v", p)
	}
}
