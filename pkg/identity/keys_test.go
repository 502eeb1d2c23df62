package identity_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluice-gw/sluice/pkg/config"
	"github.com/sluice-gw/sluice/pkg/identity"
)

// secretDir lays out a directory the way Kubernetes mounts a Secret:
// keys.yaml -> ..data/keys.yaml, ..data -> ..<version>, swapped atomically.
type secretDir struct {
	t   *testing.T
	dir string
	n   int
}

func (s *secretDir) publish(content string) {
	s.t.Helper()
	s.n++
	version := fmt.Sprintf("..v%d", s.n)
	if err := os.Mkdir(filepath.Join(s.dir, version), 0o700); err != nil {
		s.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(s.dir, version, "keys.yaml"), []byte(content), 0o600); err != nil {
		s.t.Fatal(err)
	}
	tmp := filepath.Join(s.dir, "..data_tmp")
	if err := os.Symlink(version, tmp); err != nil {
		s.t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(s.dir, "..data")); err != nil {
		s.t.Fatal(err)
	}
}

func (s *secretDir) link() {
	s.t.Helper()
	if err := os.Symlink(filepath.Join("..data", "keys.yaml"), filepath.Join(s.dir, "keys.yaml")); err != nil {
		s.t.Fatal(err)
	}
}

func keysFile(keys ...testKey) string {
	var b strings.Builder
	b.WriteString("api_keys:\n")
	for _, k := range keys {
		fmt.Fprintf(&b, "  - {id: %s, hash: %q, tenant: acme}\n", k.id, k.hash)
	}
	return b.String()
}

// eventually polls cond for up to 10 seconds.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting until %s", what)
}

func TestWatchKeys(t *testing.T) {
	inline, first, second := newKey(t), newKey(t), newKey(t)
	dir := t.TempDir()
	sec := &secretDir{t: t, dir: filepath.Join(dir, "secret")}
	if err := os.Mkdir(sec.dir, 0o700); err != nil {
		t.Fatal(err)
	}
	sec.publish(keysFile(first))
	sec.link()
	cfgPath := filepath.Join(dir, "sluice.yaml")
	cfg := baseConfig + "identity:\n  api_keys_file: secret/keys.yaml\n  api_keys:\n" + keyRecord(inline, "")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	snap, err := config.Load(cfgPath, config.LoadOptions{ResolveSecrets: true})
	if err != nil {
		t.Fatal(err)
	}
	r, err := identity.NewResolver(snap)
	if err != nil {
		t.Fatal(err)
	}
	accepts := func(k testKey) bool { _, err := r.Resolve(req(bearer(k.key), nil, nil)); return err == nil }
	if !accepts(inline) || !accepts(first) || accepts(second) {
		t.Fatal("keys at load are not the config's and the file's")
	}

	ctx, cancel := context.WithCancel(context.Background())
	var mu sync.Mutex
	var errs []error
	loads := make(chan int, 100)
	done := make(chan error, 1)
	go func() {
		done <- r.WatchKeys(ctx, func(n int) { loads <- n }, func(err error) { mu.Lock(); errs = append(errs, err); mu.Unlock() })
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("WatchKeys returned %v", err)
		}
	})
	if n := <-loads; n != 2 {
		t.Fatalf("first load reported %d keys, want 2", n)
	}
	lastErr := func() error { mu.Lock(); defer mu.Unlock(); return errors.Join(errs...) }

	// A Secret update swaps ..data: second is added, first revoked.
	sec.publish(keysFile(second))
	eventually(t, "the swapped Secret is served", func() bool { return accepts(second) && !accepts(first) })

	// An invalid file is reported and the keys in use stay.
	sec.publish("api_keys:\n  - {id: bad}\n")
	eventually(t, "the invalid file is reported", func() bool { return lastErr() != nil })
	if err := lastErr(); !errors.Is(err, config.ErrInvalid) || !strings.Contains(err.Error(), "api_keys[0].id") {
		t.Errorf("reported %v, want the invalid entry", err)
	}
	if !accepts(second) || !accepts(inline) {
		t.Error("an invalid keys file dropped the keys in use")
	}

	// A deleted file revokes its keys; the config's own stay.
	if err := os.Remove(sec.file()); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the deleted file's keys are revoked", func() bool { return !accepts(second) })
	if !accepts(inline) {
		t.Error("deleting the keys file dropped the config's own keys")
	}

	// The same content coming back is loaded again.
	sec.publish(keysFile(second))
	sec.link()
	eventually(t, "the restored file is served", func() bool { return accepts(second) })
	if r.Keys() != 2 {
		t.Errorf("Keys() = %d, want 2", r.Keys())
	}
}

func (s *secretDir) file() string { return filepath.Join(s.dir, "keys.yaml") }

func TestWatchKeysWithoutFile(t *testing.T) {
	r := newResolver(t, "identity: {allow_anonymous: true}\n")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := r.WatchKeys(ctx, func(int) { t.Error("onLoad called") }, func(err error) { t.Error(err) }); err != nil {
		t.Errorf("WatchKeys = %v", err)
	}
	if ctx.Err() != nil {
		t.Error("WatchKeys without a keys file did not return at once")
	}
}

// TestSwapUnderLoad resolves while keys are swapped: run with -race.
func TestSwapUnderLoad(t *testing.T) {
	a, b := newKey(t), newKey(t)
	r := newResolver(t, "identity:\n  api_keys:\n"+keyRecord(a, ""))
	recs := [][]*config.APIKey{{{ID: a.id, Hash: a.hash}}, {{ID: a.id, Hash: a.hash}, {ID: b.id, Hash: b.hash}}}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := r.Resolve(req(bearer(a.key), nil, nil)); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	for i := range 200 {
		if err := r.SetKeys(recs[i%2]); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	if err := r.SetKeys([]*config.APIKey{{ID: a.id, Hash: "sha256:bad"}}); err == nil {
		t.Error("SetKeys accepted a malformed hash")
	}
	if err := r.SetKeys([]*config.APIKey{{ID: a.id, Hash: a.hash}, {ID: a.id, Hash: b.hash}}); err == nil {
		t.Error("SetKeys accepted a repeated id")
	}
	if _, err := r.Resolve(req(bearer(a.key), nil, nil)); err != nil {
		t.Errorf("a failed SetKeys changed the keys in use: %v", err)
	}
}

// BenchmarkResolve resolves one key among n: the cost must not grow with
// n (one map lookup by id, one SHA-256).
func BenchmarkResolve(b *testing.B) {
	for _, n := range []int{10, 1000, 10000} {
		b.Run(fmt.Sprintf("keys=%d", n), func(b *testing.B) {
			var cfg strings.Builder
			cfg.WriteString("identity:\n  api_keys:\n")
			var last testKey
			for range n {
				last = newKey(b)
				cfg.WriteString(keyRecord(last, ", tenant: acme, roles: [developer], labels: {env: prod}"))
			}
			r := newResolver(b, cfg.String())
			in := req(bearer(last.key), nil, map[string]any{identity.AttrSourceAddress: "10.1.2.3:5000"})
			b.ReportAllocs()
			for b.Loop() {
				if _, err := r.Resolve(in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
