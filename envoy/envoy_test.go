package envoy_test

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	extprocv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/ext_proc/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	earlyv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/http/early_header_mutation/header_mutation/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/sluice-gw/sluice/envoy"
)

// backends are the names Sluice puts in x-sluice-backend, with the host the
// route must send (empty: keep the client's host).
var backends = map[string]string{
	"openai":       "api.openai.com",
	"azure_openai": "YOUR-RESOURCE.openai.azure.com",
	"anthropic":    "api.anthropic.com",
	"gemini":       "generativelanguage.googleapis.com",
	"bedrock":      "bedrock-runtime.us-east-1.amazonaws.com",
	"mock":         "",
}

func loadBootstrap(t *testing.T, name string) *bootstrapv3.Bootstrap {
	t.Helper()
	data, err := envoy.Files.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	b, err := envoy.DecodeBootstrap(data)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return b
}

func TestBootstrapsDecodeAndValidate(t *testing.T) {
	for _, name := range []string{"envoy.yaml", "envoy-tls.yaml"} {
		t.Run(name, func(t *testing.T) {
			b := loadBootstrap(t, name)
			if got := b.GetAdmin().GetAddress().GetSocketAddress(); got.GetAddress() != "127.0.0.1" || got.GetPortValue() != 9901 {
				t.Errorf("admin address = %v, want 127.0.0.1:9901", got)
			}
			checkBootstrap(t, b)
		})
	}
}

// The generated ValidateAll stops at Any fields; envoy.Validate must not.
func TestValidateDescendsIntoTypedConfig(t *testing.T) {
	const doc = `
static_resources:
  listeners:
  - name: l
    address: { socket_address: { address: 0.0.0.0, port_value: 1 } }
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: s
          route_config: { name: r }
          http_filters:
          - name: envoy.filters.http.ext_proc
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor
              grpc_service: { envoy_grpc: { cluster_name: c } }
              message_timeout: 7200s
`
	b := &bootstrapv3.Bootstrap{}
	if err := envoy.Unmarshal([]byte(doc), b); err != nil {
		t.Fatal(err)
	}
	if err := b.ValidateAll(); err != nil {
		t.Fatalf("bootstrap ValidateAll: %v (expected it not to look inside typed_config)", err)
	}
	err := envoy.Validate(b)
	if err == nil || !strings.Contains(err.Error(), "MessageTimeout") {
		t.Fatalf("Validate = %v, want the ext_proc message_timeout (over 1h) rejected", err)
	}
}

func TestUnknownFieldsAndTypesRejected(t *testing.T) {
	for name, doc := range map[string]string{
		"unknown field": `static_resources: { listeners: [{ name: l, no_such_field: 1 }] }`,
		"unknown type": `static_resources:
  listeners:
  - name: l
    filter_chains:
    - filters:
      - name: x
        typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.network.nope.v3.Nope }`,
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := envoy.DecodeBootstrap([]byte(doc)); err == nil {
				t.Fatal("decoded without error")
			}
		})
	}
}

// envoy-tls.yaml must be envoy.yaml plus a TLS listener, nothing else.
func TestTLSBootstrapMatchesPlain(t *testing.T) {
	plain := loadBootstrap(t, "envoy.yaml")
	tls := loadBootstrap(t, "envoy-tls.yaml")
	l := tls.GetStaticResources().GetListeners()[0]
	if got := l.GetAddress().GetSocketAddress().GetPortValue(); got != 8443 {
		t.Errorf("TLS listener port = %d, want 8443", got)
	}
	ts := l.GetFilterChains()[0].GetTransportSocket()
	ctx := &tlsv3.DownstreamTlsContext{}
	if err := ts.GetTypedConfig().UnmarshalTo(ctx); err != nil {
		t.Fatalf("TLS listener transport socket: %v", err)
	}
	if len(ctx.GetCommonTlsContext().GetTlsCertificates()) == 0 {
		t.Error("TLS listener has no certificate")
	}
	l.Name, l.Address, l.FilterChains[0].TransportSocket = "", nil, nil
	pl := plain.GetStaticResources().GetListeners()[0]
	pl.Name, pl.Address = "", nil
	if diff := cmp.Diff(plain, tls, protocmp.Transform()); diff != "" {
		t.Errorf("envoy-tls.yaml drifted from envoy.yaml (-plain +tls):\n%s", diff)
	}
}

func checkBootstrap(t *testing.T, b *bootstrapv3.Bootstrap) {
	t.Helper()
	listeners := b.GetStaticResources().GetListeners()
	if len(listeners) != 1 {
		t.Fatalf("%d listeners, want 1", len(listeners))
	}
	if got := listeners[0].GetPerConnectionBufferLimitBytes().GetValue(); got < 8<<20 {
		t.Errorf("per_connection_buffer_limit_bytes = %d, want >= 8 MiB for long prompts", got)
	}
	hcm := &hcmv3.HttpConnectionManager{}
	if err := listeners[0].GetFilterChains()[0].GetFilters()[0].GetTypedConfig().UnmarshalTo(hcm); err != nil {
		t.Fatal(err)
	}
	checkFilterOrder(t, hcm)
	checkExtProc(t, extProcOf(t, hcm))
	checkEarlyRemoval(t, hcm)
	clusters := map[string]*clusterv3.Cluster{}
	for _, c := range b.GetStaticResources().GetClusters() {
		clusters[c.GetName()] = c
	}
	checkRoutes(t, hcm.GetRouteConfig(), clusters)
	checkFallback(t, hcm.GetRouteConfig().GetVirtualHosts()[0].GetRoutes(), clusters, extProcOf(t, hcm))
	if _, ok := clusters["sluice_ext_proc"]; !ok {
		t.Error("no sluice_ext_proc cluster")
	}
}

func checkFilterOrder(t *testing.T, hcm *hcmv3.HttpConnectionManager) {
	t.Helper()
	var names []string
	for _, f := range hcm.GetHttpFilters() {
		names = append(names, f.GetName())
	}
	want := []string{"envoy.filters.http.ext_proc", "envoy.filters.http.router"}
	if !slices.Equal(names, want) {
		t.Errorf("http_filters = %v, want %v", names, want)
	}
}

func extProcOf(t *testing.T, hcm *hcmv3.HttpConnectionManager) *extprocv3.ExternalProcessor {
	t.Helper()
	for _, f := range hcm.GetHttpFilters() {
		cfg := &extprocv3.ExternalProcessor{}
		if f.GetTypedConfig().MessageIs(cfg) {
			if err := f.GetTypedConfig().UnmarshalTo(cfg); err != nil {
				t.Fatal(err)
			}
			return cfg
		}
	}
	t.Fatal("no ext_proc filter")
	return nil
}

func checkExtProc(t *testing.T, cfg *extprocv3.ExternalProcessor) {
	t.Helper()
	checkExtProcCore(t, "downstream", cfg)
	if got := cfg.GetMetadataOptions().GetReceivingNamespaces().GetUntyped(); !slices.Equal(got, []string{"sluice"}) {
		t.Errorf("receiving namespaces = %v, want [sluice]", got)
	}
	if got := cfg.GetMetadataOptions().GetForwardingNamespaces().GetUntyped(); !slices.Contains(got, "envoy.filters.http.jwt_authn") {
		t.Errorf("forwarding namespaces = %v, want jwt_authn", got)
	}
	for _, a := range []string{"source.address", "request.id", "xds.route_name", "connection.uri_san_peer_certificate"} {
		if !slices.Contains(cfg.GetRequestAttributes(), a) {
			t.Errorf("request_attributes lack %s", a)
		}
	}
}

// checkExtProcCore holds for Sluice's ext_proc filter wherever it runs: in
// the connection manager, or upstream in a fallback cluster (where).
func checkExtProcCore(t *testing.T, where string, cfg *extprocv3.ExternalProcessor) {
	t.Helper()
	if cfg.GetFailureModeAllow() {
		t.Errorf("%s: failure_mode_allow is true: requests would bypass Sluice when it is down", where)
	}
	if !cfg.GetAllowModeOverride() {
		t.Errorf("%s: allow_mode_override is false: Sluice cannot stream SSE responses", where)
	}
	if got := cfg.GetGrpcService().GetEnvoyGrpc().GetClusterName(); got != "sluice_ext_proc" {
		t.Errorf("%s: grpc cluster = %q", where, got)
	}
	m := cfg.GetProcessingMode()
	if m.GetRequestHeaderMode() != extprocv3.ProcessingMode_SEND || m.GetResponseHeaderMode() != extprocv3.ProcessingMode_SEND ||
		m.GetRequestBodyMode() != extprocv3.ProcessingMode_BUFFERED || m.GetResponseBodyMode() != extprocv3.ProcessingMode_BUFFERED ||
		m.GetRequestTrailerMode() != extprocv3.ProcessingMode_SKIP || m.GetResponseTrailerMode() != extprocv3.ProcessingMode_SKIP {
		t.Errorf("%s: processing_mode = %v", where, m)
	}
	streamed := proto.Clone(m).(*extprocv3.ProcessingMode)
	streamed.ResponseBodyMode = extprocv3.ProcessingMode_STREAMED
	if !slices.ContainsFunc(cfg.GetAllowedOverrideModes(), func(p *extprocv3.ProcessingMode) bool { return proto.Equal(p, streamed) }) {
		t.Errorf("%s: allowed_override_modes %v lack the STREAMED response mode Sluice asks for", where, cfg.GetAllowedOverrideModes())
	}
	if d := cfg.GetMessageTimeout().AsDuration(); d < time.Second {
		t.Errorf("%s: message_timeout = %v, want >= 1s", where, d)
	}
	checkMutationRules(t, cfg)
}

func checkMutationRules(t *testing.T, cfg *extprocv3.ExternalProcessor) {
	t.Helper()
	r := cfg.GetMutationRules()
	if !r.GetDisallowAll().GetValue() || r.GetAllowAllRouting().GetValue() || r.GetAllowEnvoy().GetValue() {
		t.Fatalf("mutation_rules = %v, want an allow-list", r)
	}
	allow := regexp.MustCompile("^(?:" + r.GetAllowExpression().GetRegex() + ")$")
	for _, h := range []string{"x-sluice-backend", ":path", "authorization", "x-api-key", "api-key", "x-goog-api-key",
		"anthropic-version", "content-type", "content-length", "x-amz-date", "x-amz-security-token",
		"x-amz-content-sha256", "x-request-id", "x-sluice-decision-id",
		"x-sluice-fallback", "x-sluice-upstream-backend", "x-sluice-translated",
		"x-policy-team"} { // a policy's headers.upstream and headers.downstream
		if !allow.MatchString(h) {
			t.Errorf("Sluice may not set %q", h)
		}
	}
	for _, h := range []string{"host", ":authority", ":method", ":scheme", "x-envoy-original-path", "x-forwarded-for", "x-sluice"} {
		if allow.MatchString(h) {
			t.Errorf("Sluice may set %q", h)
		}
	}
}

// checkEarlyRemoval: only Sluice picks a backend and a fallback plan.
func checkEarlyRemoval(t *testing.T, hcm *hcmv3.HttpConnectionManager) {
	t.Helper()
	removed := map[string]bool{}
	for _, ext := range hcm.GetEarlyHeaderMutationExtensions() {
		m := &earlyv3.HeaderMutation{}
		if err := ext.GetTypedConfig().UnmarshalTo(m); err != nil {
			t.Fatal(err)
		}
		for _, mu := range m.GetMutations() {
			removed[mu.GetRemove()] = true
		}
	}
	for _, h := range []string{"x-sluice-backend", "x-sluice-fallback"} {
		if !removed[h] {
			t.Errorf("client-supplied %s is not removed before routing", h)
		}
	}
}
