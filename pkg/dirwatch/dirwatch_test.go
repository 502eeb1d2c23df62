package dirwatch

import (
	"context"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fsnotify/fsnotify"
)

// start runs Run over a watch on a fresh directory and returns the
// directory, the callback count, and a stop that waits for Run to return.
func start(t *testing.T) (string, *atomic.Int32, func()) {
	t.Helper()
	dir := t.TempDir()
	w, err := fsnotify.NewWatcher()
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Add(dir); err != nil {
		_ = w.Close()
		t.Fatal(err)
	}
	var calls atomic.Int32
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		Run(ctx, w, func() { calls.Add(1) }, func(err error) { t.Errorf("watcher error: %v", err) })
	}()
	stop := func() {
		cancel()
		_ = w.Close()
		<-done
	}
	t.Cleanup(stop)
	return dir, &calls, stop
}

func write(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestBurstSettlesIntoOneCall(t *testing.T) {
	dir, calls, _ := start(t)
	path := filepath.Join(dir, "a.yaml")
	// Each write lands well inside the debounce window of the one before.
	for i := range 10 {
		write(t, path, string(rune('a'+i)))
		time.Sleep(Debounce / 10)
	}
	if n := calls.Load(); n != 0 {
		t.Fatalf("called %d times during the burst, want 0", n)
	}
	deadline := time.Now().Add(20 * Debounce)
	for calls.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(Debounce / 10)
	}
	time.Sleep(3 * Debounce) // room for a wrong second call
	if n := calls.Load(); n != 1 {
		t.Fatalf("called %d times after the burst, want 1", n)
	}
}

func TestChmodAloneDoesNotCall(t *testing.T) {
	dir, calls, _ := start(t)
	path := filepath.Join(dir, "a.yaml")
	// The create settles into one call; wait it out so only the chmod
	// remains to be seen.
	write(t, path, "a")
	deadline := time.Now().Add(20 * Debounce)
	for calls.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(Debounce / 10)
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("called %d times after a write, want 1", n)
	}
	if err := os.Chmod(path, 0o400); err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * Debounce)
	if n := calls.Load(); n != 1 {
		t.Fatalf("called %d times after a chmod, want still 1", n)
	}
}

func TestStopEndsCalls(t *testing.T) {
	dir, calls, stop := start(t)
	path := filepath.Join(dir, "a.yaml")
	write(t, path, "a")
	// Stop with the debounce timer running: the pending call must not fire.
	time.Sleep(Debounce / 2)
	stop()
	write(t, path, "b")
	time.Sleep(5 * Debounce)
	if n := calls.Load(); n != 0 {
		t.Fatalf("called %d times after stop, want 0", n)
	}
}
