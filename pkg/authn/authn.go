// Package authn is the header stage that establishes who is calling,
// before any body is read: Sluice API keys, the JWT claims Envoy's
// jwt_authn forwards, the mTLS peer's SPIFFE id, or a trusted front's
// headers. A bad credential is rejected here with a 401; whether a known
// caller may do what it asks is policy's question, not this stage's.
package authn

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/sluice-gw/sluice/pkg/config"
	"github.com/sluice-gw/sluice/pkg/identity"
	"github.com/sluice-gw/sluice/pkg/pipeline"
)

// Stage authenticates each request.
type Stage struct {
	resolver atomic.Pointer[identity.Resolver]
	log      *slog.Logger

	mu     sync.Mutex
	base   context.Context // set by Watch; nil until the server runs
	cancel context.CancelFunc
}

// New returns a stage that has no resolver until Reload gives it one.
func New(log *slog.Logger) *Stage { return &Stage{log: log} }

// Watch keeps the current resolver's API key file (a Kubernetes Secret
// mount) loaded until ctx is done, following resolvers that later reloads
// install.
func (s *Stage) Watch(ctx context.Context) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.base = ctx
	s.watchLocked()
}

func (s *Stage) watchLocked() {
	if s.cancel != nil {
		s.cancel()
	}
	r := s.resolver.Load()
	if s.base == nil || r == nil {
		return
	}
	ctx, cancel := context.WithCancel(s.base)
	s.cancel = cancel
	go func() {
		err := r.WatchKeys(ctx,
			func(n int) { s.log.Info("API keys loaded", "keys", n) },
			func(err error) { s.log.Error("API key file rejected; keeping the keys in use", "err", err) })
		if err != nil && ctx.Err() == nil {
			s.log.Error("API key file watch stopped", "err", err)
		}
	}()
}

// Name implements pipeline.HeaderStage.
func (*Stage) Name() string { return "authn" }

// Reload builds the resolver for a new config; the old one keeps serving
// if this fails.
func (s *Stage) Reload(_ context.Context, snap *config.Snapshot) error {
	r, err := identity.NewResolver(snap)
	if err != nil {
		return fmt.Errorf("identity: %w", err)
	}
	s.resolver.Store(r)
	s.mu.Lock()
	s.watchLocked()
	s.mu.Unlock()
	return nil
}

// Resolver is the current resolver, for the key-file watcher.
func (s *Stage) Resolver() *identity.Resolver { return s.resolver.Load() }

// OnRequestHeaders implements pipeline.HeaderStage.
func (s *Stage) OnRequestHeaders(_ context.Context, x *pipeline.Exchange) error {
	r := s.resolver.Load()
	if r == nil {
		return fmt.Errorf("authn: no identity configuration loaded")
	}
	id, err := r.Resolve(identity.Request{
		Header:         x.Header.Get,
		FilterMetadata: x.FilterMetadata,
		Conn:           x.Conn,
	})
	if err != nil {
		return err
	}
	x.Identity = id
	return nil
}
