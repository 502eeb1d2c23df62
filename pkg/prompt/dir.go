package prompt

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/fsnotify/fsnotify"

	configv1 "github.com/sluice-gw/sluice/api/sluice/config/v1"
	"github.com/sluice-gw/sluice/pkg/config"
	"github.com/sluice-gw/sluice/pkg/dirwatch"
)

// maxFileBytes bounds one template file; a template is text, not data.
const maxFileBytes = 1 << 20

// loadDir reads every *.yaml and *.yml file directly in dir, in name
// order. Hidden entries (a ConfigMap's ..data) are skipped. Every bad file
// is reported, with its path, line and field.
func loadDir(dir string) ([]*configv1.PromptTemplate, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("templates: %w", err)
	}
	var defs []*configv1.PromptTemplate
	var errs []error
	for _, e := range entries {
		name := e.Name()
		ext := filepath.Ext(name)
		if strings.HasPrefix(name, ".") || (ext != ".yaml" && ext != ".yml") {
			continue
		}
		path := filepath.Join(dir, name)
		src, err := readFile(path)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		pt, err := config.ParseTemplateFile(path, src)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		defs = append(defs, pt)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return defs, nil
}

func readFile(path string) ([]byte, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("templates: %w", err)
	}
	if info.IsDir() {
		return nil, fmt.Errorf("templates: %s is a directory", path)
	}
	if info.Size() > maxFileBytes {
		return nil, fmt.Errorf("templates: %s is larger than %d bytes", path, maxFileBytes)
	}
	b, err := os.ReadFile(filepath.Clean(path))
	if err != nil {
		return nil, fmt.Errorf("templates: %w", err)
	}
	return b, nil
}

// dirWatch watches one template directory and calls reload after each
// settled burst of changes, until stopped.
type dirWatch struct {
	dir     string
	watcher *fsnotify.Watcher
	cancel  context.CancelFunc
	done    chan struct{}
}

func watchDir(dir string, log *slog.Logger, reload func()) (*dirWatch, error) {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, fmt.Errorf("templates: watching %s: %w", dir, err)
	}
	if err := w.Add(dir); err != nil {
		_ = w.Close() // the Add error is the one worth reporting
		return nil, fmt.Errorf("templates: watching %s: %w", dir, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	dw := &dirWatch{dir: dir, watcher: w, cancel: cancel, done: make(chan struct{})}
	go dw.run(ctx, log, reload)
	return dw, nil
}

func (dw *dirWatch) run(ctx context.Context, log *slog.Logger, reload func()) {
	defer close(dw.done)
	dirwatch.Run(ctx, dw.watcher, reload, func(err error) {
		log.Error("templates: watching the template directory", "dir", dw.dir, "error", err)
	})
}

func (dw *dirWatch) stop() {
	if dw == nil {
		return
	}
	dw.cancel()
	_ = dw.watcher.Close() // nothing to do about a failed close of a watch we drop
	<-dw.done
}
