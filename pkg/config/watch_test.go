package config

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sluice-gw/sluice/pkg/dirwatch"
)

const goodConfig = "backends:\n  - name: local\n    provider: openai_compatible\nmodels:\n  - name: %s\n    backend: local\n# %d\n"

// watchFixture runs Watch on a temporary directory and collects what it
// reports.
type watchFixture struct {
	dir, path string
	loads     chan *Snapshot
	errs      chan error
	done      chan error
}

func startWatch(t *testing.T, path string) *watchFixture {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	w := &watchFixture{
		dir: filepath.Dir(path), path: path,
		loads: make(chan *Snapshot, 100), errs: make(chan error, 100), done: make(chan error, 1),
	}
	go func() {
		w.done <- Watch(ctx, path, LoadOptions{},
			func(s *Snapshot) { w.loads <- s },
			func(err error) { w.errs <- err })
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-w.done:
			if err != nil {
				t.Errorf("Watch returned %v after cancel", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("Watch did not return after cancel")
		}
	})
	return w
}

// replace writes content the way editors and kubectl do: to a temporary
// file, then renamed over the config.
func (w *watchFixture) replace(t *testing.T, content string) {
	t.Helper()
	tmp := filepath.Join(w.dir, ".sluice.yaml.tmp")
	writeFile(t, tmp, content)
	if err := os.Rename(tmp, w.path); err != nil {
		t.Fatal(err)
	}
}

// until rewrites the config (each time a little differently, so the content
// changes) until Watch reports on ch. Retrying covers the moment before the
// watcher is in place.
func until[T any](t *testing.T, ch <-chan T, write func(i int)) T {
	t.Helper()
	v, ok := poll(ch, write)
	if !ok {
		t.Fatal("Watch reported nothing")
	}
	return v
}

func poll[T any](ch <-chan T, write func(i int)) (T, bool) {
	deadline := time.Now().Add(10 * time.Second)
	for i := 0; time.Now().Before(deadline); i++ {
		write(i)
		select {
		case v := <-ch:
			return v, true
		case <-time.After(500 * time.Millisecond):
		}
	}
	var zero T
	return zero, false
}

func drain[T any](ch <-chan T) {
	for {
		select {
		case <-ch:
		case <-time.After(3 * dirwatch.Debounce):
			return
		}
	}
}

func TestWatchGoodBadGood(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sluice.yaml")
	writeFile(t, path, fmt.Sprintf(goodConfig, "first", 0))
	store := NewStore(mustLoad(t, path))
	w := startWatch(t, path)

	err := until(t, w.errs, func(i int) { w.replace(t, fmt.Sprintf("backends: [] # %d\n", i)) })
	if err == nil {
		t.Fatal("onError got nil")
	}
	drain(w.errs)
	if len(w.loads) > 0 {
		t.Fatal("a bad config was loaded")
	}
	if _, ok := store.Load().Model("first"); !ok {
		t.Fatal("the store lost the last good config")
	}

	snap := until(t, w.loads, func(i int) { w.replace(t, fmt.Sprintf(goodConfig, "second", i)) })
	old := store.Swap(snap)
	if _, ok := store.Load().Model("second"); !ok || old.Version == snap.Version {
		t.Errorf("reloaded snapshot %s has no model second, or the same version as %s", snap.Version, old.Version)
	}
	drain(w.loads)

	// Rewriting identical content is not a change.
	src, err2 := os.ReadFile(path)
	if err2 != nil {
		t.Fatal(err2)
	}
	w.replace(t, string(src))
	select {
	case s := <-w.loads:
		t.Errorf("identical content reloaded as %s", s.Version)
	case err := <-w.errs:
		t.Errorf("identical content reported %v", err)
	case <-time.After(5 * dirwatch.Debounce):
	}
}

// TestWatchSymlinkSwap mimics a Kubernetes ConfigMap volume: the config is
// a symlink through ..data, which is atomically repointed at a new
// directory.
func TestWatchSymlinkSwap(t *testing.T) {
	dir := t.TempDir()
	version := func(i int) string {
		v := filepath.Join(dir, fmt.Sprintf("..v%d", i))
		if err := os.Mkdir(v, 0o750); err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(v, "sluice.yaml"), fmt.Sprintf(goodConfig, fmt.Sprintf("model-%d", i), i))
		return filepath.Base(v)
	}
	swap := func(target string) {
		tmp := filepath.Join(dir, "..data_tmp")
		if err := os.Symlink(target, tmp); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, filepath.Join(dir, "..data")); err != nil {
			t.Fatal(err)
		}
	}
	swap(version(0))
	path := filepath.Join(dir, "sluice.yaml")
	if err := os.Symlink(filepath.Join("..data", "sluice.yaml"), path); err != nil {
		t.Fatal(err)
	}
	w := startWatch(t, path)
	snap := until(t, w.loads, func(i int) { swap(version(i + 1)) })
	if len(snap.Models) != 1 || snap.Models[0].Name == "model-0" {
		t.Errorf("after swap, models = %v", snap.Models)
	}
}

func TestWatchMissingDir(t *testing.T) {
	err := Watch(context.Background(), filepath.Join(t.TempDir(), "nope", "sluice.yaml"), LoadOptions{},
		func(*Snapshot) {}, func(error) {})
	if err == nil {
		t.Error("Watch on a missing directory returned nil")
	}
}

func TestStore(t *testing.T) {
	var st Store
	if st.Load() != nil {
		t.Fatal("zero Store is not empty")
	}
	a, b := &Snapshot{Version: "a"}, &Snapshot{Version: "b"}
	if old := st.Swap(a); old != nil {
		t.Errorf("first Swap returned %v", old)
	}
	if old := st.Swap(b); old != a || st.Load() != b {
		t.Errorf("Swap returned %v, Load %v", old, st.Load())
	}
}

func mustLoad(t *testing.T, path string) *Snapshot {
	t.Helper()
	s, err := Load(path, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}
