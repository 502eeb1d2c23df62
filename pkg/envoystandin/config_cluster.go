package envoystandin

import (
	"fmt"
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	upstreamhttpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"
)

// httpOptionsKey is where Envoy looks for a cluster's HTTP protocol options.
const httpOptionsKey = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions"

type clusterConfig struct {
	name           string
	endpoints      []endpoint
	tls            *tlsSettings // nil: plaintext
	http2          bool         // explicit HTTP/2 (h2c when plaintext)
	alpn           bool         // auto_config: HTTP/2 or HTTP/1.1 by ALPN
	connectTimeout time.Duration

	// members are an aggregate cluster's clusters, in priority order; an
	// aggregate cluster has no endpoints of its own.
	members []string
	// upstreamFilters is the raw upstream HTTP filter chain, compiled into
	// extProc once every cluster is known.
	upstreamFilters   []*hcmv3.HttpFilter
	upstreamFiltersAt string
	extProc           *extProcConfig // the upstream ext_proc filter; nil: none
}

type endpoint struct {
	address  string // host:port
	hostname string // for auto_host_rewrite; empty: no rewrite
}

type tlsSettings struct {
	sni    string
	ca     *corev3.DataSource
	sans   []string
	alpn   []string
	caPath string // where the error message says the CA came from
}

var clusterFields = []string{
	"name", "type", "connect_timeout", "load_assignment", "transport_socket",
	"typed_extension_protocol_options", "http2_protocol_options", "dns_lookup_family",
	"lb_policy", "per_connection_buffer_limit_bytes", "dns_refresh_rate", "circuit_breakers",
}

func compileCluster(c *clusterv3.Cluster, at string) (*clusterConfig, error) {
	if c.GetClusterType() != nil {
		return compileAggregate(c, at)
	}
	if err := onlyFields(c, at, clusterFields...); err != nil {
		return nil, err
	}
	switch c.GetType() {
	case clusterv3.Cluster_STATIC, clusterv3.Cluster_STRICT_DNS, clusterv3.Cluster_LOGICAL_DNS:
	default:
		return nil, fmt.Errorf("%s.type: %s is not supported by the Envoy stand-in", at, c.GetType())
	}
	if c.GetLbPolicy() != clusterv3.Cluster_ROUND_ROBIN {
		return nil, fmt.Errorf("%s.lb_policy: only ROUND_ROBIN is supported by the Envoy stand-in", at)
	}
	// Envoy still honours the deprecated cluster-level http2_protocol_options.
	h2 := c.GetHttp2ProtocolOptions() != nil //nolint:staticcheck // as Envoy does
	cc := &clusterConfig{name: c.GetName(), http2: h2, connectTimeout: 5 * time.Second}
	if c.GetConnectTimeout() != nil {
		cc.connectTimeout = c.GetConnectTimeout().AsDuration()
	}
	var err error
	if cc.endpoints, err = compileEndpoints(c, at+".load_assignment"); err != nil {
		return nil, err
	}
	if err := cc.compileProtocol(c, at+".typed_extension_protocol_options"); err != nil {
		return nil, err
	}
	if c.GetTransportSocket() != nil {
		if cc.tls, err = compileUpstreamTLS(c.GetTransportSocket(), at+".transport_socket"); err != nil {
			return nil, err
		}
	}
	return cc, nil
}

func compileEndpoints(c *clusterv3.Cluster, at string) ([]endpoint, error) {
	la := c.GetLoadAssignment()
	if err := onlyFields(la, at, "cluster_name", "endpoints"); err != nil {
		return nil, err
	}
	var eps []endpoint
	for i, loc := range la.GetEndpoints() {
		lat := fmt.Sprintf("%s.endpoints[%d]", at, i)
		if err := onlyFields(loc, lat, "lb_endpoints", "locality"); err != nil {
			return nil, err
		}
		for j, lb := range loc.GetLbEndpoints() {
			eat := fmt.Sprintf("%s.lb_endpoints[%d]", lat, j)
			if err := onlyFields(lb, eat, "endpoint"); err != nil {
				return nil, err
			}
			ep := lb.GetEndpoint()
			if err := onlyFields(ep, eat+".endpoint", "address", "hostname"); err != nil {
				return nil, err
			}
			addr, err := socketAddress(ep.GetAddress(), eat+".endpoint.address")
			if err != nil {
				return nil, err
			}
			// As in Envoy, a host's name is its endpoint hostname, or for
			// DNS clusters the name resolved; a static address has none.
			host := ep.GetHostname()
			if host == "" && c.GetType() != clusterv3.Cluster_STATIC {
				host = ep.GetAddress().GetSocketAddress().GetAddress()
			}
			eps = append(eps, endpoint{address: addr, hostname: host})
		}
	}
	if len(eps) == 0 {
		return nil, fmt.Errorf("%s: cluster %q has no endpoints", at, c.GetName())
	}
	return eps, nil
}

func (cc *clusterConfig) compileProtocol(c *clusterv3.Cluster, at string) error {
	for key, a := range c.GetTypedExtensionProtocolOptions() {
		kat := fmt.Sprintf("%s[%s]", at, key)
		if key != httpOptionsKey {
			return fmt.Errorf("%s: not supported by the Envoy stand-in", kat)
		}
		o := &upstreamhttpv3.HttpProtocolOptions{}
		if err := unpack(a, kat, o); err != nil {
			return err
		}
		if err := onlyFields(o, kat+".typed_config", "explicit_http_config", "auto_config", "common_http_protocol_options", "http_filters"); err != nil {
			return err
		}
		cc.upstreamFilters, cc.upstreamFiltersAt = o.GetHttpFilters(), kat+".typed_config.http_filters"
		switch {
		case o.GetExplicitHttpConfig() != nil:
			ex := o.GetExplicitHttpConfig()
			if ex.GetHttp3ProtocolOptions() != nil {
				return fmt.Errorf("%s: HTTP/3 is not supported by the Envoy stand-in", kat)
			}
			cc.http2 = ex.GetHttp2ProtocolOptions() != nil
		case o.GetAutoConfig() != nil:
			cc.alpn = true
		default:
			return fmt.Errorf("%s: use explicit_http_config or auto_config with the Envoy stand-in", kat)
		}
	}
	return nil
}

func compileUpstreamTLS(ts *corev3.TransportSocket, at string) (*tlsSettings, error) {
	ctx := &tlsv3.UpstreamTlsContext{}
	if err := unpack(ts.GetTypedConfig(), at, ctx); err != nil {
		return nil, err
	}
	at += ".typed_config"
	if err := onlyFields(ctx, at, "sni", "common_tls_context"); err != nil {
		return nil, err
	}
	common := ctx.GetCommonTlsContext()
	if err := onlyFields(common, at+".common_tls_context", "validation_context", "alpn_protocols", "tls_params"); err != nil {
		return nil, err
	}
	vc := common.GetValidationContext()
	vat := at + ".common_tls_context.validation_context"
	if err := onlyFields(vc, vat, "trusted_ca", "match_typed_subject_alt_names"); err != nil {
		return nil, err
	}
	s := &tlsSettings{sni: ctx.GetSni(), ca: vc.GetTrustedCa(), alpn: common.GetAlpnProtocols(), caPath: vat + ".trusted_ca"}
	for i, m := range vc.GetMatchTypedSubjectAltNames() {
		exact := m.GetMatcher().GetExact()
		if m.GetSanType() != tlsv3.SubjectAltNameMatcher_DNS || exact == "" {
			return nil, fmt.Errorf("%s.match_typed_subject_alt_names[%d]: only exact DNS names are supported by the Envoy stand-in", vat, i)
		}
		s.sans = append(s.sans, exact)
	}
	return s, nil
}
