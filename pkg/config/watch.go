package config

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/fsnotify/fsnotify"

	"github.com/sluice-gw/sluice/pkg/dirwatch"
)

// Watch reloads the config at path whenever it changes, until ctx is done.
// A config that loads is passed to onLoad; one that does not is passed to
// onError, and the caller keeps serving the last good one. onError also
// receives watcher errors. Watch returns nil when ctx ends, or an error if
// watching cannot start. It watches as WatchFile does.
func Watch(ctx context.Context, path string, opts LoadOptions, onLoad func(*Snapshot), onError func(error)) error {
	r := &reloader{path: path, opts: opts, onLoad: onLoad, onError: onError}
	// The caller loaded this content already; only a change reloads.
	if src, err := os.ReadFile(filepath.Clean(path)); err == nil {
		r.last = version(src)
	}
	return WatchFile(ctx, path, r.reload, func(err error) { onError(fmt.Errorf("config watch: %w", err)) })
}

// WatchFile calls onChange with the content of the file at path once the
// watch is in place, and again whenever that content changes, until ctx is
// done. An error reading the file or from the watcher goes to onError; after
// a read error the next readable content is reported even if it is what
// was reported before, so a file that disappears and comes back is seen.
// WatchFile returns nil when ctx ends, or an error if watching cannot start.
//
// It watches the file's directory, not the file: editors and `kubectl`
// replace files by rename, and Kubernetes mounts a ConfigMap or Secret
// through a symlink it swaps, none of which a watch on the file itself
// survives. Any change in the directory rereads the file, and only new
// content is reported.
func WatchFile(ctx context.Context, path string, onChange func(src []byte), onError func(error)) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("watch: %w", err)
	}
	defer func() { _ = w.Close() }() // nothing useful to do with a close error on the way out
	if err := w.Add(filepath.Dir(path)); err != nil {
		return fmt.Errorf("watch %s: %w", filepath.Dir(path), err)
	}
	fw := &fileWatch{path: path, onChange: onChange, onError: onError}
	fw.read()
	dirwatch.Run(ctx, w, fw.read, onError)
	return nil
}

// fileWatch remembers the version it last reported, so events that do not
// change the content (a touch, a sibling file) report nothing.
type fileWatch struct {
	path     string
	onChange func([]byte)
	onError  func(error)
	last     string
}

func (fw *fileWatch) read() {
	src, err := os.ReadFile(filepath.Clean(fw.path))
	if err != nil {
		fw.last = ""
		fw.onError(fmt.Errorf("reading %s: %w", fw.path, err))
		return
	}
	if v := version(src); v != fw.last {
		fw.last = v
		fw.onChange(src)
	}
}

// reloader turns new config content into a snapshot. It remembers the
// version it last handled, so content the caller already serves does not
// reload.
type reloader struct {
	path    string
	opts    LoadOptions
	onLoad  func(*Snapshot)
	onError func(error)
	last    string
}

func (r *reloader) reload(src []byte) {
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
