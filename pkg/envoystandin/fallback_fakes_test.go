package envoystandin_test

import (
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	extprocfilterv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/ext_proc/v3"
	extprocv3 "github.com/envoyproxy/go-control-plane/envoy/service/ext_proc/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	"github.com/sluice-gw/sluice/pkg/envoystandin"
)

// fallbackBootstrap routes x-backend: chain to an aggregate cluster over
// p1 and p2, DNS clusters whose upstream ext_proc names them in its gRPC
// metadata, as envoy.yaml's fallback chains do. PER_TRY is the per-try
// timeout.
const fallbackBootstrap = `
static_resources:
  listeners:
  - name: test
    address: { socket_address: { address: 127.0.0.1, port_value: 0 } }
    per_connection_buffer_limit_bytes: 4096
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: test
          route_config:
            virtual_hosts:
            - name: all
              domains: ["*"]
              routes:
              - name: chain
                match: { prefix: /, headers: [{ name: x-backend, string_match: { exact: chain } }] }
                route:
                  cluster: chain
                  auto_host_rewrite: true
                  timeout: 0s
                  retry_policy:
                    retry_on: 5xx,reset,connect-failure,retriable-status-codes
                    retriable_status_codes: [429]
                    num_retries: 1
                    per_try_timeout: PER_TRY
                    retry_back_off: { base_interval: 0.001s }
                    retry_priority:
                      name: envoy.retry_priorities.previous_priorities
                      typed_config: { "@type": type.googleapis.com/envoy.extensions.retry.priority.previous_priorities.v3.PreviousPrioritiesConfig, update_frequency: 1 }
              - name: default
                match: { prefix: / }
                direct_response: { status: 404 }
          http_filters:
          - name: envoy.filters.http.ext_proc
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor
              grpc_service: { envoy_grpc: { cluster_name: proc } }
              processing_mode: { request_body_mode: BUFFERED, response_body_mode: BUFFERED }
              message_timeout: 5s
              allow_mode_override: true
              metadata_options: { receiving_namespaces: { untyped: [sluice] } }
          - name: envoy.filters.http.router
            typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }
  clusters:
  - name: proc
    type: STATIC
    typed_extension_protocol_options:
      envoy.extensions.upstreams.http.v3.HttpProtocolOptions:
        "@type": type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions
        explicit_http_config: { http2_protocol_options: {} }
    load_assignment:
      cluster_name: proc
      endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: 1 } } } }] }]
  - name: chain
    lb_policy: CLUSTER_PROVIDED
    cluster_type:
      name: envoy.clusters.aggregate
      typed_config: { "@type": type.googleapis.com/envoy.extensions.clusters.aggregate.v3.ClusterConfig, clusters: [p1, p2] }
CLUSTERS`

const fallbackMember = `
  - name: NAME
    type: STRICT_DNS
    typed_extension_protocol_options:
      envoy.extensions.upstreams.http.v3.HttpProtocolOptions:
        "@type": type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions
        explicit_http_config: { http_protocol_options: {} }
        http_filters:
        - name: envoy.filters.http.ext_proc
          typed_config:
            "@type": type.googleapis.com/envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor
            grpc_service:
              envoy_grpc: { cluster_name: proc }
              initial_metadata: [{ key: x-sluice-upstream-backend, value: NAME }]
            processing_mode: { request_body_mode: BUFFERED, response_body_mode: BUFFERED }
            message_timeout: 5s
            allow_mode_override: true
            metadata_options: { forwarding_namespaces: { untyped: [sluice] } }
        - name: envoy.filters.http.upstream_codec
          typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.upstream_codec.v3.UpstreamCodec }
    load_assignment:
      cluster_name: NAME
      endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: NAME.example.com, port_value: 443 } } } }] }]`

func fallbackConfig(t *testing.T, perTry string) *envoystandin.Config {
	t.Helper()
	members := strings.ReplaceAll(fallbackMember, "NAME", "p1") + strings.ReplaceAll(fallbackMember, "NAME", "p2")
	doc := strings.Replace(fallbackBootstrap, "\nCLUSTERS", members, 1)
	cfg, err := envoystandin.Parse([]byte(strings.Replace(doc, "PER_TRY", perTry, 1)))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// streamScript answers one message of a stream; backend is the stream's
// x-sluice-upstream-backend metadata, empty for the downstream filter.
type streamScript func(backend string, req *extprocv3.ProcessingRequest) []*extprocv3.ProcessingResponse

// streamLog is one Process stream as the scripted server saw it.
type streamLog struct {
	backend string
	msgs    []*extprocv3.ProcessingRequest
	end     error // what Recv returned last: io.EOF for a half-close, Canceled for a cancel
}

type scriptedProc struct {
	extprocv3.UnimplementedExternalProcessorServer
	fn      streamScript
	mu      sync.Mutex
	streams []*streamLog
}

func (p *scriptedProc) Process(s extprocv3.ExternalProcessor_ProcessServer) error {
	md, _ := metadata.FromIncomingContext(s.Context())
	log := &streamLog{}
	if v := md.Get("x-sluice-upstream-backend"); len(v) > 0 {
		log.backend = v[0]
	}
	p.mu.Lock()
	p.streams = append(p.streams, log)
	p.mu.Unlock()
	for {
		req, err := s.Recv()
		p.mu.Lock()
		if err != nil {
			log.end = err
			p.mu.Unlock()
			return nil
		}
		log.msgs = append(log.msgs, req)
		p.mu.Unlock()
		for _, r := range p.fn(log.backend, req) {
			if s.Send(r) != nil {
				return nil
			}
		}
	}
}

// stream waits for the i-th stream of backend to have ended, and returns it.
func (p *scriptedProc) stream(t *testing.T, backend string, i int) streamLog {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		p.mu.Lock()
		n := -1
		for _, s := range p.streams {
			if s.backend == backend {
				if n++; n == i && s.end != nil {
					log := *s
					p.mu.Unlock()
					return log
				}
			}
		}
		p.mu.Unlock()
		if time.Now().After(deadline) {
			t.Fatalf("no ended stream %d for backend %q", i, backend)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (p *scriptedProc) count(backend string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, s := range p.streams {
		if s.backend == backend {
			n++
		}
	}
	return n
}

func startScripted(t *testing.T, fn streamScript) (*scriptedProc, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &scriptedProc{fn: fn}
	srv := grpc.NewServer()
	extprocv3.RegisterExternalProcessorServer(srv, p)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(srv.Stop)
	return p, ln.Addr().String()
}

// deadAddr is a loopback address nothing listens on.
func deadAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

var noneResponseBody = &extprocfilterv3.ProcessingMode{
	RequestHeaderMode: extprocfilterv3.ProcessingMode_SEND, ResponseHeaderMode: extprocfilterv3.ProcessingMode_SEND,
	RequestBodyMode: extprocfilterv3.ProcessingMode_BUFFERED, ResponseBodyMode: extprocfilterv3.ProcessingMode_NONE,
}

func headerValue(h *corev3.HeaderMap, key string) (string, bool) {
	for _, e := range h.GetHeaders() {
		if e.GetKey() == key {
			return string(e.GetRawValue()), true
		}
	}
	return "", false
}

func lengthHeader(b []byte) *corev3.HeaderValueOption {
	return set("content-length", strconv.Itoa(len(b)))
}
