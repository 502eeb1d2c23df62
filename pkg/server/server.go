// Package server assembles a running Sluice: the ext_proc gRPC service with
// gRPC health, the admin HTTP server, config hot reload, and graceful
// draining on shutdown. `sluice serve` and `sluice dev` both use it.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"time"

	extprocv3 "github.com/envoyproxy/go-control-plane/envoy/service/ext_proc/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/keepalive"

	"github.com/sluice-gw/sluice/pkg/config"
	"github.com/sluice-gw/sluice/pkg/extproc"
	"github.com/sluice-gw/sluice/pkg/telemetry"
)

// grpcOverhead is the room above the body limit that an ext_proc message
// needs for headers, attributes and framing.
const grpcOverhead = 1 << 20

// Server is one Sluice process.
type Server struct {
	store   *config.Store
	stages  *Stages
	log     *slog.Logger
	extproc *extproc.Server
	grpc    *grpc.Server
	health  *health.Server
	admin   *http.Server
	path    string
	tel     *telemetry.Telemetry // nil when telemetry is off
}

// New builds a server from a loaded config, bringing every stage to it.
// path, when set, is watched for changes.
func New(snap *config.Snapshot, path string, stages *Stages, log *slog.Logger) (*Server, error) {
	if err := stages.Reload(context.Background(), snap); err != nil {
		return nil, err
	}
	store := &config.Store{}
	store.Swap(snap)
	s := &Server{store: store, stages: stages, log: log, path: path, health: health.NewServer()}
	s.extproc = extproc.New(stages.Pipelines, store.Load, log)
	if err := s.observe(snap); err != nil {
		return nil, err
	}
	msg := int(max(snap.Server.MaxRequestBodyBytes, snap.Server.MaxResponseBodyBytes)) + grpcOverhead
	s.grpc = grpc.NewServer(
		extproc.ServerOption(),
		grpc.MaxRecvMsgSize(msg),
		grpc.MaxSendMsgSize(msg),
		// Streams run on long-lived workers instead of a new goroutine
		// each: a new goroutine starts with the smallest stack and grows
		// it on every stream (see package stackroom), where a busy
		// worker's stack is often still grown from its last stream.
		// Streams beyond the workers get a goroutine of their own.
		StreamWorkers(),
		// Envoy keeps the ext_proc connection open and pings it; allow
		// that rather than closing with ENHANCE_YOUR_CALM.
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: 5 * time.Second, PermitWithoutStream: true}),
	)
	extprocv3.RegisterExternalProcessorServer(s.grpc, s.extproc)
	healthpb.RegisterHealthServer(s.grpc, s.health)
	s.admin = &http.Server{Handler: s.adminMux(), ReadHeaderTimeout: 5 * time.Second}
	return s, nil
}

// StreamWorkers is the option that runs streams on long-lived goroutines,
// 32 per core. The garbage collector halves the stack of a worker it finds
// waiting, and gRPC hands a stream to the worker that has waited longest,
// so more workers than a busy replica has streams in flight would only
// wait, and shrink, in turn.
func StreamWorkers() grpc.ServerOption {
	return grpc.NumStreamWorkers(uint32(32 * runtime.GOMAXPROCS(0))) //nolint:gosec // GOMAXPROCS is small and positive
}

// Config returns the current config snapshot.
func (s *Server) Config() *config.Snapshot { return s.store.Load() }

// GRPC exposes the gRPC server, for tests that serve it over bufconn.
func (s *Server) GRPC() *grpc.Server { return s.grpc }

// Run listens on the configured addresses and serves until ctx is done,
// then drains.
func (s *Server) Run(ctx context.Context) error {
	cfg := s.store.Load().Server
	gl, err := net.Listen("tcp", cfg.GRPCAddress)
	if err != nil {
		return fmt.Errorf("ext_proc listener: %w", err)
	}
	al, err := net.Listen("tcp", cfg.AdminAddress)
	if err != nil {
		_ = gl.Close()
		return fmt.Errorf("admin listener: %w", err)
	}
	return s.Serve(ctx, gl, al)
}

// Serve serves on the given listeners until ctx is done, then drains.
func (s *Server) Serve(ctx context.Context, grpcL, adminL net.Listener) error {
	errc := make(chan error, 2)
	go func() { errc <- s.grpc.Serve(grpcL) }()
	go func() {
		if err := s.admin.Serve(adminL); !errors.Is(err, http.ErrServerClosed) {
			errc <- err
		}
	}()
	if s.path != "" {
		go s.watch(ctx)
	}
	s.stages.authn.Watch(ctx)
	s.health.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	s.log.Info("sluice serving", "ext_proc", grpcL.Addr().String(), "admin", adminL.Addr().String(),
		"config_version", s.store.Load().Version)
	select {
	case <-ctx.Done():
	case err := <-errc:
		s.shutdown()
		return err
	}
	s.shutdown()
	return nil
}

// shutdown stops taking streams, lets in-flight ones finish within the
// grace period, then cuts the rest.
func (s *Server) shutdown() {
	grace := s.store.Load().Server.ShutdownGrace
	s.health.Shutdown() // readiness goes NOT_SERVING so Envoy stops sending
	s.log.Info("draining", "in_flight", s.extproc.InFlight(), "grace", grace)
	done := make(chan struct{})
	go func() { s.grpc.GracefulStop(); close(done) }()
	select {
	case <-done:
	case <-time.After(grace):
		s.log.Warn("grace period over; closing remaining streams", "in_flight", s.extproc.InFlight())
		s.grpc.Stop()
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = s.admin.Shutdown(ctx)
	if err := s.stages.Close(); err != nil {
		s.log.Error("closing stages", "err", err)
	}
	tctx, tcancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer tcancel()
	if err := s.tel.Shutdown(tctx); err != nil {
		s.log.Warn("flushing telemetry", "err", err)
	}
}

func (s *Server) watch(ctx context.Context) {
	err := config.Watch(ctx, s.path, config.LoadOptions{ResolveSecrets: true},
		func(snap *config.Snapshot) {
			err := s.stages.Reload(ctx, snap)
			s.tel.Reloaded("config", err)
			if err != nil {
				s.log.Error("config reload rejected; keeping the last good config", "err", err)
				return
			}
			s.store.Swap(snap)
			s.log.Info("config reloaded", "version", snap.Version)
			for _, w := range snap.Warnings {
				s.log.Warn("config warning", "warning", w)
			}
		},
		func(err error) {
			s.tel.Reloaded("config", err)
			s.log.Error("config reload rejected; keeping the last good config", "err", err)
		})
	if err != nil && ctx.Err() == nil {
		s.log.Error("config watch stopped", "err", err)
	}
}

// Build is New with Sluice's own stage set.
func Build(snap *config.Snapshot, path string, log *slog.Logger) (*Server, error) {
	stages, err := NewStages(log)
	if err != nil {
		return nil, err
	}
	return New(snap, path, stages, log)
}

// observe sets up telemetry from the first config. Exporters and sampling
// are fixed for the life of the process; labels and content capture
// follow reloads.
func (s *Server) observe(snap *config.Snapshot) error {
	tel, err := telemetry.New(context.Background(), snap.Telemetry, telemetry.Options{Log: s.log})
	if err != nil {
		return err
	}
	if tel == nil {
		return nil
	}
	s.tel = tel
	s.extproc.Observe(tel)
	tel.AuditDropped(s.stages.audit.Dropped)
	s.stages.decide.OnPolicyReload(func(err error) { tel.Reloaded("policy", err) })
	return nil
}
