package envoy_test

import (
	"encoding/json"
	"strings"
	"testing"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"
	"sigs.k8s.io/yaml"

	"github.com/sluice-gw/sluice/envoy"
)

// istioSluiceCluster is how Istio names the cluster of the sluice Service.
const istioSluiceCluster = "outbound|50051||sluice.sluice-system.svc.cluster.local"

type fallbackFilter struct {
	Spec struct {
		ConfigPatches []struct {
			ApplyTo string `json:"applyTo"`
			Match   struct {
				Context            string `json:"context"`
				RouteConfiguration struct {
					PortNumber int `json:"portNumber"`
					Vhost      struct {
						Route struct {
							Name string `json:"name"`
						} `json:"route"`
					} `json:"vhost"`
				} `json:"routeConfiguration"`
			} `json:"match"`
			Patch struct {
				Operation string          `json:"operation"`
				Value     json.RawMessage `json:"value"`
			} `json:"patch"`
		} `json:"configPatches"`
	} `json:"spec"`
}

// The Istio fallback sample adds exactly envoy.yaml's chain: the same
// clusters (Sluice reached through its Service) and the same route, placed
// before the VirtualService's catch-all.
func TestIstioFallback(t *testing.T) {
	data, err := envoy.Files.ReadFile("istio/fallback.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var ef fallbackFilter
	if err := yaml.Unmarshal(data, &ef); err != nil {
		t.Fatal(err)
	}
	plain := loadBootstrap(t, "envoy.yaml")
	want := map[string]*clusterv3.Cluster{}
	for _, c := range plain.GetStaticResources().GetClusters() {
		want[c.GetName()] = c
	}
	hcm := &hcmv3.HttpConnectionManager{}
	if err := plain.GetStaticResources().GetListeners()[0].GetFilterChains()[0].GetFilters()[0].GetTypedConfig().UnmarshalTo(hcm); err != nil {
		t.Fatal(err)
	}
	added := map[string]*clusterv3.Cluster{}
	var routes []*routev3.Route
	for _, p := range ef.Spec.ConfigPatches {
		if p.Match.Context != "GATEWAY" {
			t.Errorf("%s patch context %q", p.ApplyTo, p.Match.Context)
		}
		switch p.ApplyTo {
		case "CLUSTER":
			c := &clusterv3.Cluster{}
			decodeInto(t, sluiceClusterAsInEnvoyYAML(p.Patch.Value), c, true)
			if p.Patch.Operation != "ADD" {
				t.Errorf("cluster %s: operation %s, want ADD", c.GetName(), p.Patch.Operation)
			}
			added[c.GetName()] = c
		case "HTTP_ROUTE":
			r := &routev3.Route{}
			decodeInto(t, p.Patch.Value, r, true)
			if p.Patch.Operation != "INSERT_BEFORE" || p.Match.RouteConfiguration.Vhost.Route.Name != "no_backend" ||
				p.Match.RouteConfiguration.PortNumber != 80 {
				t.Errorf("route %s is not inserted before the gateway's no_backend route", r.GetName())
			}
			routes = append(routes, r)
		default:
			t.Errorf("unexpected patch %s", p.ApplyTo)
		}
	}
	for name, c := range added {
		if diff := cmp.Diff(want[name], c, protocmp.Transform()); diff != "" {
			t.Errorf("Istio cluster %s drifted from envoy.yaml (-envoy.yaml +istio):\n%s", name, diff)
		}
	}
	if len(routes) == 0 {
		t.Fatal("no route patch")
	}
	for _, r := range routes {
		if diff := cmp.Diff(routeNamed(hcm, r.GetName()), r, protocmp.Transform()); diff != "" {
			t.Errorf("Istio route %s drifted from envoy.yaml (-envoy.yaml +istio):\n%s", r.GetName(), diff)
		}
		if members := aggregateMembers(t, added[r.GetRoute().GetCluster()]); members == nil {
			t.Errorf("route %s: cluster %s is not an aggregate added here", r.GetName(), r.GetRoute().GetCluster())
		} else {
			for _, m := range members {
				if added[m] == nil {
					t.Errorf("route %s: member %s is not added here", r.GetName(), m)
				}
			}
		}
	}
}

// sluiceClusterAsInEnvoyYAML swaps the Istio name of the sluice cluster
// for envoy.yaml's, so that the rest can be compared as is.
func sluiceClusterAsInEnvoyYAML(raw json.RawMessage) json.RawMessage {
	return json.RawMessage(strings.ReplaceAll(string(raw), istioSluiceCluster, "sluice_ext_proc"))
}

func routeNamed(hcm *hcmv3.HttpConnectionManager, name string) *routev3.Route {
	for _, r := range hcm.GetRouteConfig().GetVirtualHosts()[0].GetRoutes() {
		if r.GetName() == name {
			return r
		}
	}
	return nil
}
