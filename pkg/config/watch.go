package config

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"
)

// debounce lets a burst of events (an editor's write-then-rename, a
// ConfigMap's symlink swap) settle into one reload.
const debounce = 100 * time.Millisecond

// Watch reloads the config at path whenever it changes, until ctx is done.
// A config that loads is passed to onLoad; one that does not is passed to
// onError, and the caller keeps serving the last good one. onError also
// receives watcher errors. Watch returns nil when ctx ends, or an error if
// watching cannot start.
//
// It watches the file's directory, not the file: editors and `kubectl`
// replace files by rename, and Kubernetes mounts a ConfigMap through a
// symlink it swaps, none of which a watch on the file itself survives. Any
// change in the directory rereads the file, and only new content reloads.
func Watch(ctx context.Context, path string, opts LoadOptions, onLoad func(*Snapshot), onError func(error)) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("config watch: %w", err)
	}
	defer func() { _ = w.Close() }() // nothing useful to do with a close error on the way out
	if err := w.Add(filepath.Dir(path)); err != nil {
		return fmt.Errorf("config watch %s: %w", filepath.Dir(path), err)
	}
	r := &reloader{path: path, opts: opts, onLoad: onLoad, onError: onError}
	if src, err := os.ReadFile(filepath.Clean(path)); err == nil {
		r.last = version(src)
	}
	timer := time.NewTimer(debounce)
	timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-w.Events:
			if !ok {
				return nil
			}
			if ev.Op != fsnotify.Chmod {
				timer.Reset(debounce)
			}
		case err, ok := <-w.Errors:
			if !ok {
				return nil
			}
			onError(fmt.Errorf("config watch: %w", err))
		case <-timer.C:
			r.reload()
		}
	}
}

// reloader remembers the version it last handled, so events that do not
// change the content (a touch, a sibling file) do not reload or re-report.
type reloader struct {
	path    string
	opts    LoadOptions
	onLoad  func(*Snapshot)
	onError func(error)
	last    string
}

func (r *reloader) reload() {
	src, err := os.ReadFile(filepath.Clean(r.path))
	if err != nil {
		r.onError(fmt.Errorf("reading config: %w", err))
		return
	}
	v := version(src)
	if v == r.last {
		return
	}
	r.last = v
	snap, err := Parse(r.path, src, r.opts)
	if err != nil {
		r.onError(err)
		return
	}
	r.onLoad(snap)
}
