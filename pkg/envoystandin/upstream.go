package envoystandin

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
)

// upstream sends requests to one cluster.
type upstream struct {
	cfg       *clusterConfig
	endpoints []endpoint
	tls       *tls.Config // nil: plaintext
	transport *http.Transport
	next      atomic.Uint64
}

// newUpstream builds the cluster's client. An override replaces the
// endpoints with one plaintext address and keeps explicit HTTP/2 as h2c.
func newUpstream(c *clusterConfig, override string, log *slog.Logger) (*upstream, error) {
	u := &upstream{cfg: c, endpoints: c.endpoints}
	if override != "" {
		u.endpoints = []endpoint{{address: override, hostname: c.endpoints[0].hostname}}
	} else if c.tls != nil {
		cfg, err := clientTLS(c.tls, log, c.name)
		if err != nil {
			return nil, err
		}
		u.tls = cfg
	}
	dialer := &net.Dialer{Timeout: c.connectTimeout}
	protocols := &http.Protocols{}
	switch {
	case u.tls == nil && c.http2:
		protocols.SetUnencryptedHTTP2(true)
	case u.tls == nil:
		protocols.SetHTTP1(true)
	case c.http2:
		protocols.SetHTTP2(true)
	case c.alpn:
		protocols.SetHTTP1(true)
		protocols.SetHTTP2(true)
	default:
		protocols.SetHTTP1(true)
	}
	u.transport = &http.Transport{
		DialContext:        dialer.DialContext,
		TLSClientConfig:    u.tls,
		Protocols:          protocols,
		DisableCompression: true,
		ForceAttemptHTTP2:  u.tls != nil && (c.http2 || c.alpn),
	}
	return u, nil
}

// clientTLS mirrors UpstreamTlsContext: SNI, and certificate checks only
// when a validation_context is configured (Envoy verifies nothing without one).
func clientTLS(s *tlsSettings, log *slog.Logger, cluster string) (*tls.Config, error) {
	cfg := &tls.Config{ServerName: s.sni, NextProtos: s.alpn, MinVersion: tls.VersionTLS12}
	if s.ca == nil {
		log.Warn("Envoy stand-in: cluster has no validation_context; its certificate is not verified, as in Envoy", "cluster", cluster)
		cfg.InsecureSkipVerify = true //nolint:gosec // matches Envoy without a validation_context
		return cfg, nil
	}
	pem, err := dataSource(s.ca, s.caPath)
	if err != nil {
		log.Warn("Envoy stand-in: trusted_ca unreadable, using the system roots", "cluster", cluster, "error", err)
	} else {
		cfg.RootCAs = x509.NewCertPool()
		if !cfg.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s: no certificates", s.caPath)
		}
	}
	if len(s.sans) > 0 {
		cfg.InsecureSkipVerify = true //nolint:gosec // verifySANs checks the chain and the names instead
		cfg.VerifyConnection = verifySANs(cfg.RootCAs, s.sans)
	}
	return cfg, nil
}

// verifySANs accepts a chain that is valid for any of the names.
func verifySANs(roots *x509.CertPool, names []string) func(tls.ConnectionState) error {
	return func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) == 0 {
			return errors.New("no peer certificate")
		}
		inter := x509.NewCertPool()
		for _, c := range cs.PeerCertificates[1:] {
			inter.AddCert(c)
		}
		var errs []error
		for _, name := range names {
			_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{DNSName: name, Roots: roots, Intermediates: inter})
			if err == nil {
				return nil
			}
			errs = append(errs, err)
		}
		return errors.Join(errs...)
	}
}

// pick chooses the next endpoint, round robin.
func (u *upstream) pick() endpoint {
	n := u.next.Add(1) - 1
	return u.endpoints[n%uint64(len(u.endpoints))]
}

func (u *upstream) scheme() string {
	if u.tls != nil {
		return "https"
	}
	return "http"
}

// newRequest builds the upstream request from the final header map.
func (u *upstream) newRequest(ctx context.Context, h *headerMap, ep endpoint, body bodySource) (*http.Request, error) {
	method, _ := h.get(":method")
	path, _ := h.get(":path")
	if !strings.HasPrefix(path, "/") {
		return nil, fmt.Errorf("invalid :path %q", path)
	}
	var rd = body.r
	if rd == nil {
		rd = http.NoBody
	}
	req, err := http.NewRequestWithContext(ctx, method, u.scheme()+"://"+ep.address+path, rd)
	if err != nil {
		return nil, err
	}
	req.Host, _ = h.get(":authority")
	req.Header = h.httpHeader()
	req.Header.Del("Content-Length")
	req.ContentLength = -1
	if cl, ok := h.get("content-length"); ok {
		if n, err := strconv.ParseInt(cl, 10, 64); err == nil {
			req.ContentLength = n
		}
	} else if body.r == nil {
		req.ContentLength = 0
	}
	if _, ok := req.Header["User-Agent"]; !ok {
		req.Header["User-Agent"] = []string{""} // keep net/http from adding its own
	}
	return req, nil
}

func (u *upstream) closeIdle() { u.transport.CloseIdleConnections() }

// grpcConn dials the cluster for ext_proc, as Envoy's envoy_grpc client.
func (u *upstream) grpcConn(ep *extProcConfig) (*grpc.ClientConn, error) {
	creds := insecure.NewCredentials()
	if u.tls != nil {
		creds = credentials.NewTLS(u.tls)
	}
	return grpc.NewClient("passthrough:///"+u.endpoints[0].address,
		grpc.WithTransportCredentials(creds),
		grpc.WithAuthority(ep.authority),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(ep.maxRecv), grpc.MaxCallSendMsgSize(1<<31-1)))
}
