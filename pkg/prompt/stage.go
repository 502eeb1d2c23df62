package prompt

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"

	configv1 "github.com/sluice-gw/sluice/api/sluice/config/v1"
	"github.com/sluice-gw/sluice/pkg/config"
)

// Stage renders templates, lists them, and adds the parsed output to
// template answers. One Stage follows config reloads and the template
// directory; requests read an immutable snapshot of both.
type Stage struct {
	log *slog.Logger
	cur atomic.Pointer[state]

	mu     sync.Mutex // serialises reloads of the config and of the directory
	inline []*configv1.PromptTemplate
	dir    string
	files  []*configv1.PromptTemplate // the directory's last good definitions
	watch  *dirWatch
	// OnDirReload, when set, is told the outcome of every directory reload.
	OnDirReload func(error)

	// outputs are the exchanges whose answer gets an "output" member.
	outputs sync.Map
}

// state is what requests read.
type state struct {
	lib        *Library
	decorators map[string]config.Decorator
}

// New returns a stage with no templates until the first Reload.
func New(log *slog.Logger) *Stage {
	s := &Stage{log: log}
	s.cur.Store(&state{})
	return s
}

// Name implements pipeline.RequestStage and pipeline.ResponseStage.
func (*Stage) Name() string { return "prompt" }

// Reload builds the templates of snap: inline ones and the directory's.
// A bad template fails the reload, so the last good config keeps serving;
// a bad directory keeps the definitions last loaded from it, if it is the
// same directory.
func (s *Stage) Reload(_ context.Context, snap *config.Snapshot) error {
	// A replaced watch is stopped after the lock is released: its goroutine
	// may be waiting for the lock in reloadDir.
	var stale *dirWatch
	defer func() { stale.stop() }()
	s.mu.Lock()
	defer s.mu.Unlock()
	t := snap.Templates
	if t == nil {
		t = &config.Templates{}
	}
	files := s.files
	if t.Dir != s.dir {
		files = nil
	}
	if t.Dir != "" {
		defs, err := loadDir(t.Dir)
		switch {
		case err == nil:
			files = defs
		case t.Dir == s.dir:
			s.log.Error("templates: keeping the last good template directory", "dir", t.Dir, "error", err)
		default:
			return err
		}
	}
	lib, err := Build(append(slices.Clip(t.Inline), files...))
	if err != nil {
		return err
	}
	decorators := make(map[string]config.Decorator, len(t.Decorators))
	for _, d := range t.Decorators {
		decorators[d.Name] = d
	}
	if t.Dir != s.dir {
		stale, s.watch = s.watch, nil
		if t.Dir != "" {
			if s.watch, err = watchDir(t.Dir, s.log, s.reloadDir); err != nil {
				s.dir = "" // unwatched: the next reload tries again
				return err
			}
		}
	}
	s.inline, s.dir, s.files = t.Inline, t.Dir, files
	s.cur.Store(&state{lib: lib, decorators: decorators})
	return nil
}

// reloadDir reloads the directory after a change. A bad file keeps the
// last good set serving and is reported.
func (s *Stage) reloadDir() {
	s.mu.Lock()
	defer s.mu.Unlock()
	err := s.loadDirLocked()
	if err != nil {
		s.log.Error("templates: directory reload rejected; keeping the last good templates", "dir", s.dir, "error", err)
	} else {
		s.log.Info("templates: directory reloaded", "dir", s.dir)
	}
	if s.OnDirReload != nil {
		s.OnDirReload(err)
	}
}

func (s *Stage) loadDirLocked() error {
	if s.dir == "" {
		return errors.New("templates: no directory")
	}
	defs, err := loadDir(s.dir)
	if err != nil {
		return err
	}
	lib, err := Build(append(slices.Clip(s.inline), defs...))
	if err != nil {
		return err
	}
	s.files = defs
	old := s.cur.Load()
	s.cur.Store(&state{lib: lib, decorators: old.decorators})
	return nil
}

// Close stops watching the template directory.
func (s *Stage) Close() error {
	s.mu.Lock()
	w := s.watch
	s.watch = nil
	s.mu.Unlock()
	w.stop() // unlocked: the watch's goroutine may be waiting in reloadDir
	return nil
}
