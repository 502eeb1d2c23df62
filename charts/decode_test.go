package charts

import (
	"encoding/json"
	"fmt"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"google.golang.org/protobuf/encoding/protojson"
	istiov1alpha3 "istio.io/api/networking/v1alpha3"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// envoyFilter is an Istio EnvoyFilter object; its spec is the istio.io/api
// proto, decoded with protojson so unknown fields fail.
type envoyFilter struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              json.RawMessage `json:"spec"`

	spec *istiov1alpha3.EnvoyFilter
}

// objects is every rendered manifest of one render, decoded.
type objects struct {
	deployments     []*appsv1.Deployment
	services        []*corev1.Service
	configMaps      map[string]*corev1.ConfigMap
	pods            []*corev1.Pod
	serviceAccounts []*corev1.ServiceAccount
	hpas            []*autoscalingv2.HorizontalPodAutoscaler
	pdbs            []*policyv1.PodDisruptionBudget
	networkPolicies []*networkingv1.NetworkPolicy
	serviceMonitors []*monitoringv1.ServiceMonitor
	prometheusRules []*monitoringv1.PrometheusRule
	envoyFilters    []*envoyFilter
}

func (o *objects) deployment(t *testing.T, name string) *appsv1.Deployment {
	t.Helper()
	for _, d := range o.deployments {
		if d.Name == name {
			return d
		}
	}
	t.Fatalf("no Deployment %q", name)
	return nil
}

// decodeAll decodes every manifest strictly into its API type: an unknown
// or misspelt field, a wrong type or a duplicate key fails.
func decodeAll(t *testing.T, docs []manifest) *objects {
	t.Helper()
	o := &objects{configMaps: map[string]*corev1.ConfigMap{}}
	for _, m := range docs {
		if err := o.decode(m.body); err != nil {
			t.Errorf("%s: %v\n%s", m.source, err, m.body)
		}
	}
	return o
}

func (o *objects) decode(body string) error {
	var tm metav1.TypeMeta
	if err := yaml.Unmarshal([]byte(body), &tm); err != nil {
		return err
	}
	var target any
	switch tm.APIVersion + "/" + tm.Kind {
	case "apps/v1/Deployment":
		target = add(&o.deployments)
	case "v1/Service":
		target = add(&o.services)
	case "v1/ConfigMap":
		cm := &corev1.ConfigMap{}
		defer func() { o.configMaps[cm.Name] = cm }()
		target = cm
	case "v1/Pod":
		target = add(&o.pods)
	case "v1/ServiceAccount":
		target = add(&o.serviceAccounts)
	case "autoscaling/v2/HorizontalPodAutoscaler":
		target = add(&o.hpas)
	case "policy/v1/PodDisruptionBudget":
		target = add(&o.pdbs)
	case "networking.k8s.io/v1/NetworkPolicy":
		target = add(&o.networkPolicies)
	case "monitoring.coreos.com/v1/ServiceMonitor":
		target = add(&o.serviceMonitors)
	case "monitoring.coreos.com/v1/PrometheusRule":
		target = add(&o.prometheusRules)
	case "networking.istio.io/v1alpha3/EnvoyFilter":
		ef := add(&o.envoyFilters)
		if err := yaml.UnmarshalStrict([]byte(body), ef); err != nil {
			return err
		}
		ef.spec = &istiov1alpha3.EnvoyFilter{}
		return protojson.UnmarshalOptions{DiscardUnknown: false}.Unmarshal(ef.Spec, ef.spec)
	default:
		return fmt.Errorf("unexpected %s %s", tm.APIVersion, tm.Kind)
	}
	return yaml.UnmarshalStrict([]byte(body), target)
}

// add appends a new T to list and returns it for decoding into.
func add[T any](list *[]*T) *T {
	v := new(T)
	*list = append(*list, v)
	return v
}

func TestManifestsDecodeStrictly(t *testing.T) {
	for _, file := range ciValues(t) {
		t.Run(caseName(file), func(t *testing.T) {
			o := decodeAll(t, renderCase(t, file))
			if len(o.deployments) == 0 || len(o.services) == 0 {
				t.Fatal("no Deployment or Service rendered")
			}
		})
	}
}

// The strict decode must catch what it exists for.
func TestDecodeRejectsUnknownFields(t *testing.T) {
	tests := map[string]string{
		"deployment":     "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec:\n  replica: 2\n",
		"container":      "apiVersion: v1\nkind: Pod\nmetadata: {name: x}\nspec:\n  containers:\n  - name: c\n    securityContext: {readOnlyRootFs: true}\n",
		"envoyfilter":    "apiVersion: networking.istio.io/v1alpha3\nkind: EnvoyFilter\nmetadata: {name: x}\nspec:\n  workloadSelectors: {labels: {a: b}}\n",
		"servicemonitor": "apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata: {name: x}\nspec:\n  endpoint: []\n",
		"duplicate key":  "apiVersion: v1\nkind: Service\nmetadata: {name: x}\nmetadata: {name: y}\n",
	}
	for name, body := range tests {
		t.Run(name, func(t *testing.T) {
			o := &objects{configMaps: map[string]*corev1.ConfigMap{}}
			if err := o.decode(body); err == nil {
				t.Errorf("decoded without error:\n%s", body)
			}
		})
	}
}
