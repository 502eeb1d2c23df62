package envoystandin_test

import (
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/sluice-gw/sluice/pkg/envoystandin"
)

// A TLS cluster without ext_proc: SNI, CA and SAN checks as configured,
// round robin over endpoints.
func TestTLSClusterWithoutExtProc(t *testing.T) {
	var (
		mu   sync.Mutex
		hits [2]int
		sni  [2]string
	)
	servers := make([]*httptest.Server, 2)
	for i := range servers {
		srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			hits[i]++
			sni[i] = r.TLS.ServerName
			mu.Unlock()
			_, _ = io.WriteString(w, r.Host)
		}))
		t.Cleanup(srv.Close)
		servers[i] = srv
	}
	ca := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: servers[0].Certificate().Raw}))
	ca2 := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: servers[1].Certificate().Raw}))
	endpoint := func(s *httptest.Server) string {
		host, port, _ := strings.Cut(strings.TrimPrefix(s.URL, "https://"), ":")
		return fmt.Sprintf("{ endpoint: { address: { socket_address: { address: %s, port_value: %s } } } }", host, port)
	}
	doc := fmt.Sprintf(`
static_resources:
  listeners:
  - name: l
    address: { socket_address: { address: 127.0.0.1, port_value: 0 } }
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: l
          route_config:
            virtual_hosts:
            - name: all
              domains: ["*"]
              routes:
              - name: p
                match: { path: /v1/x }
                route: { cluster: p, host_rewrite_literal: api.example.com }
          http_filters:
          - name: envoy.filters.http.router
            typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }
  clusters:
  - name: p
    type: STATIC
    load_assignment:
      cluster_name: p
      endpoints: [{ lb_endpoints: [%s, %s] }]
    transport_socket:
      name: envoy.transport_sockets.tls
      typed_config:
        "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext
        sni: example.com
        common_tls_context:
          validation_context:
            trusted_ca: { inline_string: %q }
            match_typed_subject_alt_names: [{ san_type: DNS, matcher: { exact: example.com } }]
`, endpoint(servers[0]), endpoint(servers[1]), ca+ca2)
	cfg, err := envoystandin.Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	url, records := front(t, cfg, nil)
	for range 4 {
		resp, body := post(t, url+"/v1/x?q=1", "{}")
		if resp == nil || resp.StatusCode != 200 || body != "api.example.com" {
			t.Fatalf("got %v %q", resp, body)
		}
		if rec := record(t, records); rec.Upstream.Scheme != "https" || rec.Upstream.Path != "/v1/x?q=1" {
			t.Errorf("upstream %+v", rec.Upstream)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if hits != [2]int{2, 2} || sni != [2]string{"example.com", "example.com"} {
		t.Errorf("hits %v sni %v", hits, sni)
	}
	if resp, _ := post(t, url+"/v1/other", "{}"); resp == nil || resp.StatusCode != http.StatusNotFound {
		t.Errorf("unmatched path: %v", resp)
	}
}
