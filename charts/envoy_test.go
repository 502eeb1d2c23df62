package charts

import (
	"fmt"
	"slices"
	"testing"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"sigs.k8s.io/yaml"

	"github.com/sluice-gw/sluice/envoy"
)

const (
	sluiceFQDN   = "sluice.sluice-system.svc.cluster.local"
	headlessFQDN = "sluice-headless.sluice-system.svc.cluster.local"
)

// standaloneBootstrap renders a values file and loads the Envoy bootstrap
// the chart ships as Envoy would: strictly, every typed_config validated.
func standaloneBootstrap(t *testing.T, valuesFile string) *bootstrapv3.Bootstrap {
	t.Helper()
	o := decodeAll(t, renderCase(t, valuesFile))
	for name, cm := range o.configMaps {
		if src, ok := cm.Data["envoy.yaml"]; ok {
			b, err := envoy.DecodeBootstrap([]byte(src))
			if err != nil {
				t.Fatalf("ConfigMap %s: %v", name, err)
			}
			return b
		}
	}
	return nil
}

func TestStandaloneBootstrapLoads(t *testing.T) {
	for _, file := range ciValues(t) {
		t.Run(caseName(file), func(t *testing.T) {
			b := standaloneBootstrap(t, file)
			mode := readValues(t, file)["mode"]
			if mode == "mesh" {
				if b != nil {
					t.Fatal("mesh mode rendered an Envoy bootstrap")
				}
				return
			}
			if b == nil {
				t.Fatal("no Envoy bootstrap rendered")
			}
			c := cluster(b, "sluice_ext_proc")
			addr := c.GetLoadAssignment().GetEndpoints()[0].GetLbEndpoints()[0].GetEndpoint().GetAddress().GetSocketAddress()
			if c.GetType() != clusterv3.Cluster_STRICT_DNS || addr.GetAddress() == "" || addr.GetPortValue() != 50051 {
				t.Errorf("sluice_ext_proc = %v %s:%d, want STRICT_DNS to the headless Service on 50051",
					c.GetType(), addr.GetAddress(), addr.GetPortValue())
			}
		})
	}
}

// The default standalone bootstrap is envoy/envoy.yaml, with the local
// mock model left out and the ext_proc cluster pointed at every Sluice pod.
func TestStandaloneBootstrapMatchesEnvoyYAML(t *testing.T) {
	got := standaloneBootstrap(t, "sluice/ci/default-values.yaml")
	src, err := envoy.Files.ReadFile("envoy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want, err := envoy.DecodeBootstrap(src)
	if err != nil {
		t.Fatal(err)
	}
	res := want.GetStaticResources()
	res.Clusters = slices.DeleteFunc(res.Clusters, func(c *clusterv3.Cluster) bool { return c.GetName() == "mock" })
	hcm := &hcmv3.HttpConnectionManager{}
	if err := res.GetListeners()[0].GetFilterChains()[0].GetFilters()[0].GetTypedConfig().UnmarshalTo(hcm); err != nil {
		t.Fatal(err)
	}
	vh := hcm.GetRouteConfig().GetVirtualHosts()[0]
	vh.Routes = slices.DeleteFunc(vh.Routes, func(r *routev3.Route) bool { return r.GetName() == "mock" })
	if err := res.GetListeners()[0].GetFilterChains()[0].GetFilters()[0].GetTypedConfig().MarshalFrom(hcm); err != nil {
		t.Fatal(err)
	}

	ext := cluster(got, "sluice_ext_proc")
	addr := ext.GetLoadAssignment().GetEndpoints()[0].GetLbEndpoints()[0].GetEndpoint().GetAddress().GetSocketAddress()
	if addr.GetAddress() != headlessFQDN {
		t.Errorf("sluice_ext_proc address %q, want %q", addr.GetAddress(), headlessFQDN)
	}
	if len(ext.GetHealthChecks()) != 1 || ext.GetHealthChecks()[0].GetGrpcHealthCheck() == nil {
		t.Error("sluice_ext_proc has no gRPC health check, so a draining pod keeps getting streams")
	}
	for i, c := range res.Clusters {
		if c.GetName() == "sluice_ext_proc" {
			res.Clusters[i] = proto.Clone(ext).(*clusterv3.Cluster)
		}
	}
	if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
		t.Errorf("bootstrap differs from envoy/envoy.yaml (-want +got):\n%s", diff)
	}
}

func cluster(b *bootstrapv3.Bootstrap, name string) *clusterv3.Cluster {
	for _, c := range b.GetStaticResources().GetClusters() {
		if c.GetName() == name {
			return c
		}
	}
	return nil
}

// The mesh EnvoyFilter, rendered for a release named sluice in
// sluice-system, is envoy/istio/envoyfilter.yaml.
func TestEnvoyFilterMatchesIstioManifest(t *testing.T) {
	o := decodeAll(t, renderCase(t, "sluice/ci/mesh-values.yaml"))
	if len(o.envoyFilters) != 1 {
		t.Fatalf("%d EnvoyFilters, want 1", len(o.envoyFilters))
	}
	got := o.envoyFilters[0]
	src, err := envoy.Files.ReadFile("istio/envoyfilter.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := &envoyFilter{}
	if err := yaml.UnmarshalStrict(src, want); err != nil {
		t.Fatal(err)
	}
	o = &objects{}
	if err := o.decode(string(src)); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(o.envoyFilters[0].spec, got.spec, protocmp.Transform()); diff != "" {
		t.Errorf("EnvoyFilter spec differs from envoy/istio/envoyfilter.yaml (-want +got):\n%s", diff)
	}
	if got.Namespace != "istio-system" {
		t.Errorf("namespace %q, want istio-system", got.Namespace)
	}
}

// Every patch value must decode strictly into the Envoy type it patches;
// inserted filters must also validate.
func TestEnvoyFilterPatchesDecode(t *testing.T) {
	for _, file := range ciValues(t) {
		t.Run(caseName(file), func(t *testing.T) {
			o := decodeAll(t, renderCase(t, file))
			for _, ef := range o.envoyFilters {
				for i, p := range ef.spec.GetConfigPatches() {
					if err := decodePatch(p.GetApplyTo().String(), p.GetPatch().GetOperation().String(), p.GetPatch().GetValue()); err != nil {
						t.Errorf("configPatches[%d]: %v", i, err)
					}
				}
			}
		})
	}
}

func decodePatch(applyTo, op string, value proto.Message) error {
	raw, err := protojson.Marshal(value)
	if err != nil {
		return err
	}
	var m proto.Message
	switch applyTo {
	case "HTTP_FILTER":
		m = &hcmv3.HttpFilter{}
	case "NETWORK_FILTER":
		m = &listenerv3.Filter{}
	case "LISTENER":
		m = &listenerv3.Listener{}
	default:
		return fmt.Errorf("unexpected applyTo %s", applyTo)
	}
	if err := envoy.Unmarshal(raw, m); err != nil {
		return err
	}
	if op == "MERGE" { // fragments: required fields live in what they merge into
		return nil
	}
	return envoy.Validate(m)
}

// Helm merges maps from values files into the defaults; a workload
// selector the user sets must replace the default, not add to it.
func TestEnvoyFilterSelectorReplacesDefault(t *testing.T) {
	o := decodeAll(t, renderCase(t, "sluice/ci/existing-configmaps-values.yaml"))
	if len(o.envoyFilters) != 1 {
		t.Fatalf("%d EnvoyFilters, want 1", len(o.envoyFilters))
	}
	ef := o.envoyFilters[0]
	want := map[string]string{"app": "payments-api"}
	if diff := cmp.Diff(want, ef.spec.GetWorkloadSelector().GetLabels()); diff != "" {
		t.Errorf("workloadSelector (-want +got):\n%s", diff)
	}
	for _, p := range ef.spec.GetConfigPatches() {
		if c := p.GetMatch().GetContext().String(); c != "SIDECAR_INBOUND" {
			t.Errorf("%s patch context %s, want SIDECAR_INBOUND", p.GetApplyTo(), c)
		}
	}
	if ef.Namespace != "payments" {
		t.Errorf("namespace %q, want payments", ef.Namespace)
	}
}
