package policy

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/fsnotify/fsnotify"

	"github.com/sluice-gw/sluice/pkg/dirwatch"
)

// dirSource reads the policy from a directory and watches it. fsnotify
// does not recurse, so every subdirectory the loader reads is watched too.
type dirSource struct {
	dir     string
	watcher *fsnotify.Watcher
	logger  *slog.Logger
	last    string // the revision last loaded or rejected
}

func newDirSource(dir string, logger *slog.Logger) (*dirSource, error) {
	info, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("policy: %w", err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("policy: %s is not a directory", dir)
	}
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, fmt.Errorf("policy: watching %s: %w", dir, err)
	}
	s := &dirSource{dir: dir, watcher: w, logger: logger}
	if err := s.watchDirs(); err != nil {
		_ = w.Close() // the watch error is the one worth reporting
		return nil, err
	}
	return s, nil
}

// load returns nil when the directory holds what was last loaded or
// rejected, so events that change nothing do not reload or re-report.
func (s *dirSource) load(_ context.Context, _ *compiled) (*compiled, error) {
	b, err := loadDir(s.dir)
	if err != nil {
		return nil, err
	}
	rev := contentRevision(b)
	if rev == s.last {
		return nil, nil
	}
	s.last = rev
	p, err := compile(b, rev)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.dir, err)
	}
	return p, nil
}

// run reloads after each settled burst of changes, then watches any
// subdirectory the change added, since fsnotify does not recurse.
func (s *dirSource) run(ctx context.Context, reload func(context.Context) error) {
	logErr := func(err error) {
		s.logger.Error("policy: watching the policy directory", "dir", s.dir, "error", err)
	}
	dirwatch.Run(ctx, s.watcher, func() {
		_ = reload(ctx) // Reload reports its own errors
		if err := s.watchDirs(); err != nil {
			logErr(err)
		}
	}, logErr)
}

func (s *dirSource) close() { _ = s.watcher.Close() }

// watchDirs adds every directory the loader reads; adding one twice is
// harmless.
func (s *dirSource) watchDirs() error {
	root, err := filepath.EvalSymlinks(s.dir)
	if err != nil {
		return fmt.Errorf("policy: %w", err)
	}
	return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		if path != root && skipDir(d.Name()) {
			return filepath.SkipDir
		}
		if err := s.watcher.Add(path); err != nil {
			return fmt.Errorf("policy: watching %s: %w", path, err)
		}
		return nil
	})
}
