package envoy_test

import (
	"encoding/json"
	"testing"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
)

func checkRoutes(t *testing.T, rc *routev3.RouteConfiguration, clusters map[string]*clusterv3.Cluster) {
	t.Helper()
	routes := rc.GetVirtualHosts()[0].GetRoutes()
	seen := map[string]bool{}
	for _, r := range routes[:len(routes)-1] {
		if c := clusters[r.GetRoute().GetCluster()]; c != nil && c.GetClusterType() != nil {
			continue // a fallback chain: checkFallback
		}
		hs := r.GetMatch().GetHeaders()
		if len(hs) != 1 || hs[0].GetName() != "x-sluice-backend" {
			t.Errorf("route %s does not match on x-sluice-backend", r.GetName())
			continue
		}
		backend := hs[0].GetStringMatch().GetExact()
		seen[backend] = true
		act := r.GetRoute()
		if act.GetCluster() != backend || clusters[backend] == nil {
			t.Errorf("backend %s routes to cluster %q", backend, act.GetCluster())
		}
		if act.GetTimeout() == nil || act.GetTimeout().AsDuration() != 0 {
			t.Errorf("backend %s: route timeout %v, want 0s for streaming", backend, act.GetTimeout())
		}
		host, known := backends[backend]
		if got := act.GetHostRewriteLiteral(); known && got != host {
			t.Errorf("backend %s: host rewrite %q, want %q", backend, got, host)
		} else if !known {
			host = got // a provider added by the operator: TLS to its host
		}
		checkProviderTLS(t, clusters[backend], host)
	}
	for b := range backends {
		if !seen[b] {
			t.Errorf("no route for backend %s", b)
		}
	}
	checkCatchAll(t, routes[len(routes)-1])
}

func checkProviderTLS(t *testing.T, c *clusterv3.Cluster, host string) {
	t.Helper()
	if c == nil {
		return
	}
	if host == "" {
		if c.GetTransportSocket() != nil {
			t.Errorf("cluster %s: the local mock speaks plain HTTP", c.GetName())
		}
		return
	}
	ctx := &tlsv3.UpstreamTlsContext{}
	if err := c.GetTransportSocket().GetTypedConfig().UnmarshalTo(ctx); err != nil {
		t.Errorf("cluster %s: no upstream TLS: %v", c.GetName(), err)
		return
	}
	if ctx.GetSni() != host {
		t.Errorf("cluster %s: sni %q, want %q", c.GetName(), ctx.GetSni(), host)
	}
	if ctx.GetCommonTlsContext().GetValidationContext().GetTrustedCa() == nil {
		t.Errorf("cluster %s: provider certificate is not verified", c.GetName())
	}
}

func checkCatchAll(t *testing.T, r *routev3.Route) {
	t.Helper()
	dr := r.GetDirectResponse()
	if len(r.GetMatch().GetHeaders()) != 0 || dr.GetStatus() != 404 {
		t.Fatalf("last route %s is not a catch-all 404", r.GetName())
	}
	var body struct {
		Error struct{ Message, Type, Code string } `json:"error"`
	}
	if err := json.Unmarshal([]byte(dr.GetBody().GetInlineString()), &body); err != nil || body.Error.Message == "" || body.Error.Code == "" {
		t.Errorf("catch-all body is not an OpenAI error: %v", err)
	}
}
