package envoystandin_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	// Registered so that fixtures can name filters the stand-in refuses.
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/buffer/v3"

	"github.com/sluice-gw/sluice/pkg/envoystandin"
)

// testBootstrap has routes `a` and `b` picked by the x-backend header, a
// catch-all direct response, and an ext_proc filter whose settings beyond
// grpc_service come from the test. The buffer limit is 1 KiB.
const testBootstrap = `
static_resources:
  listeners:
  - name: test
    address: { socket_address: { address: 127.0.0.1, port_value: 0 } }
    per_connection_buffer_limit_bytes: 1024
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: test
          route_config:
            name: test
            virtual_hosts:
            - name: all
              domains: ["*"]
              routes:
              - name: a
                match: { prefix: /, headers: [{ name: x-backend, string_match: { exact: a } }] }
                route: { cluster: a, host_rewrite_literal: a.example.com, timeout: 0s }
              - name: b
                match: { prefix: /, headers: [{ name: x-backend, string_match: { exact: b } }] }
                route: { cluster: b, timeout: 2s }
              - name: default
                match: { prefix: / }
                direct_response: { status: 404, body: { inline_string: no route } }
          http_filters:
          - name: envoy.filters.http.ext_proc
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor
              grpc_service: { envoy_grpc: { cluster_name: proc } }
EXTRA
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
  - name: a
    type: STATIC
    load_assignment:
      cluster_name: a
      endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: 1 } } } }] }]
  - name: b
    type: STATIC
    load_assignment:
      cluster_name: b
      endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: 1 } } } }] }]
`

// testConfig renders testBootstrap with extra ext_proc settings, written as
// YAML at the top level (they are indented here).
func testConfig(t *testing.T, extProc string) *envoystandin.Config {
	t.Helper()
	if !strings.Contains(extProc, "message_timeout:") {
		// Envoy's 200 ms default is too tight for a loaded test machine.
		extProc += "\nmessage_timeout: 5s"
	}
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimSpace(extProc), "\n") {
		if line != "" {
			b.WriteString("              " + line + "\n")
		}
	}
	cfg, err := envoystandin.Parse([]byte(strings.Replace(testBootstrap, "EXTRA\n", b.String(), 1)))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// setup starts a fake ext_proc server running fn and fake upstreams for
// clusters a and b, and the stand-in in front of them.
func setup(t *testing.T, extProc string, fn procFunc, upstream func(w http.ResponseWriter, r *http.Request)) (string, <-chan envoystandin.RequestRecord, *fakeProc, *fakeUpstream, *fakeUpstream) {
	t.Helper()
	proc, procAddr := startProc(t, fn)
	a, b := startUpstream(t, upstream), startUpstream(t, upstream)
	url, records := front(t, testConfig(t, extProc), map[string]string{"proc": procAddr, "a": a.addr(), "b": b.addr()})
	return url, records, proc, a, b
}

// Each file in testdata/reject is a bootstrap outside the stand-in's subset;
// its first line is `# want: <part of the error>`.
func TestParseRejects(t *testing.T) {
	files, err := filepath.Glob("testdata/reject/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			first, _, _ := strings.Cut(string(data), "\n")
			want := strings.TrimPrefix(first, "# want: ")
			_, err = envoystandin.Parse(data)
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("Parse error = %v, want it to contain %q", err, want)
			}
		})
	}
}

func TestLoadRealBootstrap(t *testing.T) {
	cfg, err := envoystandin.Load("../../envoy/envoy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.ListenerNames(); len(got) != 1 || got[0] != "sluice_http" {
		t.Fatalf("listeners = %v", got)
	}
	if _, err := envoystandin.New(cfg, envoystandin.Options{}); err != nil {
		t.Fatal(err)
	}
}
