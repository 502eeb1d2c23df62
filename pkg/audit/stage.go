// Package audit writes Sluice's compliance audit trail: one JSON record per
// request (JSON Lines), however the request ends, hash-chained so that an
// edited, removed or reordered record is detected. Records are built when
// the exchange ends, without touching bodies, and written asynchronously
// through a bounded queue to a rotating file, standard output and OTLP
// logs; what cannot be written is counted and marked in the chain, never
// lost silently. See README.md and docs/audit.md.
package audit

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploggrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploghttp"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"google.golang.org/protobuf/proto"

	configv1 "github.com/sluice-gw/sluice/api/sluice/config/v1"
	"github.com/sluice-gw/sluice/pkg/config"
	"github.com/sluice-gw/sluice/pkg/pipeline"
)

// Stage is the header stage that makes every request leave an audit
// record. It runs first, so the AtEnd function it registers runs last,
// after every other stage has released and settled what it holds: the
// record sees the request's final cost, usage and outcome.
type Stage struct {
	log *slog.Logger

	mu      sync.Mutex
	w       atomic.Pointer[Writer]
	running *config.Snapshot // the config the writer was built from
	mask    *masker          // nil unless payload capture is on
}

// NewStage returns the audit stage; it records nothing until a config
// with an audit section is loaded.
func NewStage(log *slog.Logger) *Stage { return &Stage{log: log} }

// Name implements pipeline.HeaderStage.
func (*Stage) Name() string { return "audit" }

// OnRequestHeaders implements pipeline.HeaderStage.
func (s *Stage) OnRequestHeaders(_ context.Context, x *pipeline.Exchange) error {
	w := s.w.Load()
	if w == nil {
		return nil
	}
	x.AtEnd(func(context.Context) { s.record(w, x) })
	return nil
}

func (s *Stage) record(w *Writer, x *pipeline.Exchange) {
	var r Record
	level := s.level(x)
	FromExchange(&r, x, level, time.Now())
	if level == config.AuditFull && s.mask != nil {
		r.Payload, r.PayloadTruncated = s.mask.mask(x.Request.Body, int(s.running.Audit.Payload.MaxBytes))
	}
	w.Add(&r)
}

// level is the policy's choice for the request, or the configured default.
func (s *Stage) level(x *pipeline.Exchange) config.AuditLevel {
	if d := x.Decision; d != nil && config.ValidAuditLevel(d.Audit) {
		return config.AuditLevel(d.Audit)
	}
	if a := x.Config.Audit; a != nil {
		return a.DefaultLevel
	}
	if a := s.running.Audit; a != nil {
		return a.DefaultLevel
	}
	return config.AuditStandard
}

// Reload starts the writer with the first config that has an audit
// section. Sinks and queues are fixed from then on: a reload that changes
// them is logged and applies at the next start; default_level applies at
// once, per request.
func (s *Stage) Reload(ctx context.Context, snap *config.Snapshot) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.w.Load() != nil {
		if !proto.Equal(withoutLevel(s.running.Proto.GetAudit()), withoutLevel(snap.Proto.GetAudit())) {
			s.log.Warn("audit sink settings changed; they apply when Sluice restarts")
		}
		return nil
	}
	if snap.Audit == nil {
		return nil
	}
	if snap.Audit.Payload != nil {
		m, err := newMasker()
		if err != nil {
			return fmt.Errorf("audit: payload masking: %w", err)
		}
		s.mask = m
	}
	w, err := Open(ctx, snap.Audit, s.log)
	if err != nil {
		return err
	}
	s.running = snap
	s.w.Store(w)
	return nil
}

func withoutLevel(a *configv1.Audit) *configv1.Audit {
	if a == nil {
		return nil
	}
	c, _ := proto.Clone(a).(*configv1.Audit)
	c.DefaultLevel = ""
	return c
}

// Dropped is how many audit records were lost; see Writer.Dropped.
func (s *Stage) Dropped() uint64 {
	if w := s.w.Load(); w != nil {
		return w.Dropped()
	}
	return 0
}

// Close flushes queued records within the configured flush timeout. Call
// it after the server has drained, so the last requests are in the trail.
func (s *Stage) Close() error {
	w := s.w.Load()
	if w == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.running.Audit.FlushTimeout)
	defer cancel()
	return w.Close(ctx)
}

// Open builds a writer and its sinks from config; the file, when there is
// one, comes first and its chain continues where the file left off.
func Open(ctx context.Context, a *config.Audit, log *slog.Logger) (*Writer, error) {
	if a.HMACKeyEnv != "" && a.HMACKey == "" {
		return nil, fmt.Errorf("audit: the HMAC key in %s could not be read; refusing to write an unkeyed chain", a.HMACKeyEnv)
	}
	opts := Options{QueueRecords: a.QueueRecords, QueueBytes: a.QueueBytes, HMACKey: []byte(a.HMACKey), Log: log}
	closeAll := func() {
		for _, s := range opts.Sinks {
			_ = s.Close(ctx)
		}
	}
	if f := a.File; f != nil {
		fs, last, skipped, err := OpenFile(FileOptions{Path: f.Path, MaxBytes: f.MaxBytes, RotateEvery: f.RotateEvery,
			MaxAge: f.MaxAge, MaxBackups: f.MaxBackups, Compress: f.Compress})
		if err != nil {
			return nil, err
		}
		opts.Sinks, opts.Resume, opts.Skipped = append(opts.Sinks, fs), last, skipped
	}
	if a.Stdout {
		opts.Sinks = append(opts.Sinks, StreamSink{W: os.Stdout})
	}
	if o := a.OTLP; o != nil {
		exp, err := otlpExporter(ctx, o)
		if err != nil {
			closeAll()
			return nil, err
		}
		opts.Sinks = append(opts.Sinks, NewOTLPSink(exp))
	}
	w, err := NewWriter(opts)
	if err != nil {
		closeAll()
		return nil, err
	}
	return w, nil
}

func otlpExporter(ctx context.Context, o *config.AuditOTLP) (sdklog.Exporter, error) {
	var (
		exp sdklog.Exporter
		err error
	)
	if o.Protocol == "http/protobuf" {
		opts := []otlploghttp.Option{otlploghttp.WithEndpointURL(o.Endpoint), otlploghttp.WithHeaders(o.Headers)}
		if o.Insecure {
			opts = append(opts, otlploghttp.WithInsecure())
		}
		exp, err = otlploghttp.New(ctx, opts...)
	} else {
		opts := []otlploggrpc.Option{otlploggrpc.WithEndpoint(o.Endpoint), otlploggrpc.WithHeaders(o.Headers)}
		if o.Insecure {
			opts = append(opts, otlploggrpc.WithInsecure())
		}
		exp, err = otlploggrpc.New(ctx, opts...)
	}
	if err != nil {
		return nil, fmt.Errorf("audit: otlp exporter: %w", err)
	}
	return exp, nil
}
