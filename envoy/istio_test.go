package envoy_test

import (
	"encoding/json"
	"strings"
	"testing"

	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"sigs.k8s.io/yaml"

	"github.com/sluice-gw/sluice/envoy"
)

type envoyFilter struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Spec       struct {
		ConfigPatches []struct {
			ApplyTo string `json:"applyTo"`
			Match   struct {
				Context string `json:"context"`
			} `json:"match"`
			Patch struct {
				Operation string          `json:"operation"`
				Value     json.RawMessage `json:"value"`
			} `json:"patch"`
		} `json:"configPatches"`
	} `json:"spec"`
}

// decodeInto reads a patch value strictly into an Envoy type. MERGE patches
// are fragments, so only INSERT_* values must also pass validation.
func decodeInto(t *testing.T, raw json.RawMessage, m proto.Message, validate bool) {
	t.Helper()
	if err := envoy.Unmarshal(raw, m); err != nil {
		t.Fatal(err)
	}
	if !validate {
		return
	}
	if err := envoy.Validate(m); err != nil {
		t.Fatal(err)
	}
}

func TestIstioEnvoyFilter(t *testing.T) {
	data, err := envoy.Files.ReadFile("istio/envoyfilter.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var ef envoyFilter // only the fields checked here; patch values are decoded strictly below
	if err := yaml.Unmarshal(data, &ef); err != nil {
		t.Fatal(err)
	}
	if ef.APIVersion != "networking.istio.io/v1alpha3" || ef.Kind != "EnvoyFilter" {
		t.Fatalf("got %s %s", ef.APIVersion, ef.Kind)
	}
	plain := loadBootstrap(t, "envoy.yaml")
	hcm := &hcmv3.HttpConnectionManager{}
	if err := plain.GetStaticResources().GetListeners()[0].GetFilterChains()[0].GetFilters()[0].GetTypedConfig().UnmarshalTo(hcm); err != nil {
		t.Fatal(err)
	}
	want := extProcOf(t, hcm)
	kinds := map[string]bool{}
	for _, p := range ef.Spec.ConfigPatches {
		if c := p.Match.Context; c != "GATEWAY" && c != "SIDECAR_INBOUND" {
			t.Errorf("%s patch context %q", p.ApplyTo, c)
		}
		kinds[p.ApplyTo] = true
		switch p.ApplyTo {
		case "HTTP_FILTER":
			f := &hcmv3.HttpFilter{}
			decodeInto(t, p.Patch.Value, f, true)
			got := extProcOf(t, &hcmv3.HttpConnectionManager{HttpFilters: []*hcmv3.HttpFilter{f}})
			if !strings.HasPrefix(got.GetGrpcService().GetEnvoyGrpc().GetClusterName(), "outbound|50051||sluice.") {
				t.Errorf("ext_proc cluster %q is not the sluice Service", got.GetGrpcService().GetEnvoyGrpc().GetClusterName())
			}
			got.GrpcService = want.GetGrpcService()
			if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
				t.Errorf("Istio ext_proc settings drifted from envoy.yaml (-envoy.yaml +istio):\n%s", diff)
			}
		case "NETWORK_FILTER":
			f := &listenerv3.Filter{}
			decodeInto(t, p.Patch.Value, f, false)
			frag := &hcmv3.HttpConnectionManager{}
			if err := f.GetTypedConfig().UnmarshalTo(frag); err != nil {
				t.Fatal(err)
			}
			checkEarlyRemoval(t, frag)
		case "LISTENER":
			l := &listenerv3.Listener{}
			decodeInto(t, p.Patch.Value, l, false)
			if l.GetPerConnectionBufferLimitBytes().GetValue() < 8<<20 {
				t.Error("gateway buffer limit not raised")
			}
		default:
			t.Errorf("unexpected patch %s", p.ApplyTo)
		}
	}
	for _, k := range []string{"HTTP_FILTER", "NETWORK_FILTER", "LISTENER"} {
		if !kinds[k] {
			t.Errorf("no %s patch", k)
		}
	}
}

type istioObject struct {
	Kind     string `json:"kind"`
	Metadata struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Spec struct {
		Hosts []string `json:"hosts"`
		Host  string   `json:"host"`
		HTTP  []struct {
			Name  string `json:"name"`
			Match []struct {
				Headers map[string]map[string]string `json:"headers"`
			} `json:"match"`
			Route []struct {
				Destination struct {
					Host string `json:"host"`
				} `json:"destination"`
			} `json:"route"`
			DirectResponse *struct {
				Status int `json:"status"`
			} `json:"directResponse"`
		} `json:"http"`
	} `json:"spec"`
}

func TestIstioProviders(t *testing.T) {
	data, err := envoy.Files.ReadFile("istio/providers.yaml")
	if err != nil {
		t.Fatal(err)
	}
	external := map[string]map[string]bool{} // host → kinds declaring it
	var vs *istioObject
	for _, doc := range strings.Split(string(data), "\n---\n") {
		var o istioObject
		if err := yaml.Unmarshal([]byte(doc), &o); err != nil {
			t.Fatal(err)
		}
		hosts := append([]string{o.Spec.Host}, o.Spec.Hosts...)
		for _, h := range hosts {
			if external[h] == nil {
				external[h] = map[string]bool{}
			}
			external[h][o.Kind] = true
		}
		if o.Kind == "VirtualService" {
			vs = &o
		}
	}
	if vs == nil {
		t.Fatal("no VirtualService")
	}
	routed := map[string]bool{}
	for _, r := range vs.Spec.HTTP {
		if r.DirectResponse != nil {
			continue
		}
		b := r.Match[0].Headers["x-sluice-backend"]["exact"]
		routed[b] = true
		h := r.Route[0].Destination.Host
		if !external[h]["ServiceEntry"] || !external[h]["DestinationRule"] {
			t.Errorf("backend %s: %s lacks a ServiceEntry or DestinationRule", b, h)
		}
	}
	for b := range backends {
		if b != "mock" && !routed[b] {
			t.Errorf("no Istio route for backend %s", b)
		}
	}
	if last := vs.Spec.HTTP[len(vs.Spec.HTTP)-1]; last.DirectResponse == nil || last.DirectResponse.Status != 404 {
		t.Error("last Istio route is not the 404 catch-all")
	}
}
