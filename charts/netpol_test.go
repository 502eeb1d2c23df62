package charts

import (
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
)

// ext_proc streams may come only from the Envoy in front of Sluice (and
// the helm test), and the admin port only from monitoring.
func TestNetworkPolicyIngress(t *testing.T) {
	tests := []struct {
		file string
		// fronts is a label the ext_proc peers must select on.
		fronts map[string]string
	}{
		{"sluice/ci/mesh-values.yaml", map[string]string{"istio": "ingressgateway"}},
		{"sluice/ci/full-values.yaml", map[string]string{"app.kubernetes.io/component": "envoy"}},
	}
	for _, tt := range tests {
		t.Run(caseName(tt.file), func(t *testing.T) {
			o := decodeAll(t, renderCase(t, tt.file))
			if len(o.networkPolicies) != 1 {
				t.Fatalf("%d NetworkPolicies, want 1", len(o.networkPolicies))
			}
			np := o.networkPolicies[0]
			byPort := map[int32][]networkingv1.NetworkPolicyPeer{}
			for _, rule := range np.Spec.Ingress {
				if len(rule.Ports) != 1 || len(rule.From) == 0 {
					t.Fatalf("ingress rule %+v: want one port and named peers", rule)
				}
				byPort[rule.Ports[0].Port.IntVal] = rule.From
			}
			grpc := byPort[50051]
			if len(grpc) != 2 || !selects(grpc[0], tt.fronts) || grpc[1].PodSelector.MatchLabels["app.kubernetes.io/component"] != "test" {
				t.Errorf("ext_proc port peers = %+v", grpc)
			}
			admin := byPort[9090]
			if len(admin) != 1 || admin[0].NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"] != "monitoring" {
				t.Errorf("admin port peers = %+v", admin)
			}
			if len(byPort) != 2 {
				t.Errorf("ingress opens ports %v, want 50051 and 9090 only", byPort)
			}
		})
	}
}

func selects(p networkingv1.NetworkPolicyPeer, labels map[string]string) bool {
	if p.PodSelector == nil {
		return false
	}
	for k, v := range labels {
		if p.PodSelector.MatchLabels[k] != v {
			return false
		}
	}
	return true
}
