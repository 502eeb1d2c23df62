package envoystandin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	extprocv3 "github.com/envoyproxy/go-control-plane/envoy/service/ext_proc/v3"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/structpb"
)

// Options adapt a loaded bootstrap to a development machine or a test.
type Options struct {
	// ClusterOverrides sends a cluster's traffic to host:port, in plaintext,
	// instead of its configured endpoints: fake providers, the mock model
	// server, or a Sluice listening on a random port. Keys are cluster names.
	ClusterOverrides map[string]string
	// ListenAddress replaces the listener's address in ListenAndServe.
	ListenAddress string
	// Listener names the listener to serve; empty means the first.
	Listener string
	// Logger receives the stand-in's logs; nil means slog.Default().
	Logger *slog.Logger
	// OnComplete, when set, is called once per request after it finished.
	OnComplete func(RequestRecord)
	// Downstream, when set, supplies per request what filters and TLS in
	// front of ext_proc would produce in a real deployment.
	Downstream func(*http.Request) DownstreamInfo
}

// DownstreamInfo stands in for what Envoy knows about a request before
// ext_proc runs.
type DownstreamInfo struct {
	// FilterMetadata is the stream's dynamic metadata by namespace, for
	// example a verified JWT payload under envoy.filters.http.jwt_authn.
	FilterMetadata map[string]*structpb.Struct
	// PeerURISAN is the URI SAN of the client certificate (a SPIFFE id);
	// it becomes the connection.uri_san_peer_certificate attribute.
	PeerURISAN string
}

// Proxy serves one listener of a Config.
type Proxy struct {
	cfg         *Config
	opts        Options
	log         *slog.Logger
	listener    *listenerConfig
	upstreams   map[string]*upstream // aggregate clusters have none
	procConns   []*grpc.ClientConn
	procClients map[*extProcConfig]extprocv3.ExternalProcessorClient
}

// New prepares a proxy for cfg. It dials nothing until the first request.
func New(cfg *Config, opts Options) (*Proxy, error) {
	p := &Proxy{cfg: cfg, opts: opts, log: opts.Logger, upstreams: map[string]*upstream{},
		procClients: map[*extProcConfig]extprocv3.ExternalProcessorClient{}}
	if p.log == nil {
		p.log = slog.Default()
	}
	for _, l := range cfg.listeners {
		if opts.Listener == "" || l.name == opts.Listener {
			p.listener = l
			break
		}
	}
	if p.listener == nil {
		return nil, fmt.Errorf("envoystandin: no listener %q", opts.Listener)
	}
	for name := range opts.ClusterOverrides {
		switch c := cfg.clusters[name]; {
		case c == nil:
			return nil, fmt.Errorf("envoystandin: override for unknown cluster %q", name)
		case c.members != nil:
			return nil, fmt.Errorf("envoystandin: override for aggregate cluster %q: override its members", name)
		}
	}
	filters := []*extProcConfig{p.listener.hcm.extProc}
	for name, c := range cfg.clusters {
		if c.members != nil {
			continue
		}
		u, err := newUpstream(c, opts.ClusterOverrides[name], p.log)
		if err != nil {
			return nil, fmt.Errorf("envoystandin: cluster %s: %w", name, err)
		}
		p.upstreams[name] = u
		filters = append(filters, c.extProc)
	}
	for _, ep := range filters {
		if ep == nil {
			continue
		}
		conn, err := p.upstreams[ep.cluster].grpcConn(ep)
		if err != nil {
			return nil, fmt.Errorf("envoystandin: ext_proc cluster %s: %w", ep.cluster, err)
		}
		p.procConns = append(p.procConns, conn)
		p.procClients[ep] = extprocv3.NewExternalProcessorClient(conn)
	}
	return p, nil
}

// Handler serves requests as the listener's HTTP connection manager would.
func (p *Proxy) Handler() http.Handler { return http.HandlerFunc(p.serveHTTP) }

// Addr is the address ListenAndServe listens on.
func (p *Proxy) Addr() string {
	if p.opts.ListenAddress != "" {
		return p.opts.ListenAddress
	}
	return p.listener.address
}

// ListenAndServe listens on Addr and serves until ctx ends.
func (p *Proxy) ListenAndServe(ctx context.Context) error {
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", p.Addr())
	if err != nil {
		return fmt.Errorf("envoystandin: %w", err)
	}
	return p.Serve(ctx, ln)
}

// Serve serves HTTP/1.1 and cleartext HTTP/2 (h2c with prior knowledge, as
// Envoy's codec_type AUTO accepts) on ln until ctx ends.
func (p *Proxy) Serve(ctx context.Context, ln net.Listener) error {
	p.log.Warn("Envoy stand-in serving: for development and tests only, not a production proxy",
		"listener", p.listener.name, "address", ln.Addr().String())
	protocols := &http.Protocols{}
	protocols.SetHTTP1(true)
	protocols.SetUnencryptedHTTP2(true)
	srv := &http.Server{
		Handler:           p.Handler(),
		Protocols:         protocols,
		ReadHeaderTimeout: 30 * time.Second,
	}
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(shutdown); err != nil {
			p.log.Warn("Envoy stand-in shutdown", "error", err)
		}
	}()
	err := srv.Serve(ln)
	if errors.Is(err, http.ErrServerClosed) {
		<-stopped
		return nil
	}
	return fmt.Errorf("envoystandin: %w", err)
}

// Close releases connections to clusters and to the ext_proc server.
func (p *Proxy) Close() error {
	for _, u := range p.upstreams {
		u.closeIdle()
	}
	var errs []error
	for _, c := range p.procConns {
		errs = append(errs, c.Close())
	}
	return errors.Join(errs...)
}
