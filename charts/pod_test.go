package charts

import (
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/sluice-gw/sluice/pkg/config"
)

// podSpecs is every pod the chart can start, by a name for messages.
func podSpecs(o *objects) map[string]*corev1.PodSpec {
	specs := map[string]*corev1.PodSpec{}
	for _, d := range o.deployments {
		specs["Deployment "+d.Name] = &d.Spec.Template.Spec
	}
	for _, p := range o.pods {
		specs["Pod "+p.Name] = &p.Spec
	}
	return specs
}

// Every container runs as a non-root user with a read-only root
// filesystem, no privilege escalation, no capabilities and the runtime's
// seccomp profile.
func TestPodsAreLockedDown(t *testing.T) {
	for _, file := range ciValues(t) {
		t.Run(caseName(file), func(t *testing.T) {
			o := decodeAll(t, renderCase(t, file))
			for name, spec := range podSpecs(o) {
				checkPod(t, name, spec)
			}
		})
	}
}

func checkPod(t *testing.T, name string, spec *corev1.PodSpec) {
	t.Helper()
	psc := spec.SecurityContext
	if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.RunAsUser == nil || *psc.RunAsUser == 0 {
		t.Errorf("%s: pod securityContext does not require a non-root user: %+v", name, psc)
	}
	if psc == nil || psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("%s: pod seccomp profile is not RuntimeDefault", name)
	}
	if spec.AutomountServiceAccountToken == nil || *spec.AutomountServiceAccountToken {
		t.Errorf("%s: mounts a service account token it never uses", name)
	}
	for _, c := range slices.Concat(spec.InitContainers, spec.Containers) {
		sc := c.SecurityContext
		switch {
		case sc == nil:
			t.Errorf("%s/%s: no securityContext", name, c.Name)
			continue
		case sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot, sc.RunAsUser == nil || *sc.RunAsUser == 0:
			t.Errorf("%s/%s: may run as root", name, c.Name)
		case sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem:
			t.Errorf("%s/%s: root filesystem is writable", name, c.Name)
		case sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation:
			t.Errorf("%s/%s: allows privilege escalation", name, c.Name)
		case sc.Privileged != nil && *sc.Privileged:
			t.Errorf("%s/%s: privileged", name, c.Name)
		case sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(sc.Capabilities.Add) > 0:
			t.Errorf("%s/%s: capabilities %+v, want drop ALL", name, c.Name, sc.Capabilities)
		}
		if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() {
			t.Errorf("%s/%s: no CPU or memory request", name, c.Name)
		}
		// A subPath mount never sees a ConfigMap or Secret update, which
		// would silently stop hot reload.
		for _, m := range c.VolumeMounts {
			if m.SubPath != "" || m.SubPathExpr != "" {
				t.Errorf("%s/%s: volume %s is mounted with subPath", name, c.Name, m.Name)
			}
		}
	}
}

// The rendered sluice.yaml is a config Sluice accepts, and the pod's grace
// period outlasts the drain it configures.
func TestSluiceConfigAndGrace(t *testing.T) {
	for _, file := range ciValues(t) {
		t.Run(caseName(file), func(t *testing.T) {
			values := readValues(t, file)
			o := decodeAll(t, renderCase(t, file))
			name := "sluice"
			if v, ok := values["fullnameOverride"].(string); ok {
				name = v
			}
			d := o.deployment(t, name)
			drain := 15 * time.Second // the chart's default shutdownGrace
			if cm, ok := o.configMaps[name+"-config"]; ok {
				snap, err := config.Parse("/etc/sluice/sluice.yaml", []byte(cm.Data["sluice.yaml"]), config.LoadOptions{})
				if err != nil {
					t.Fatalf("rendered sluice.yaml is rejected: %v\n%s", err, cm.Data["sluice.yaml"])
				}
				drain = snap.Server.ShutdownGrace
				checkConfigPaths(t, snap, d.Spec.Template.Spec.Containers[0].VolumeMounts)
			} else if values["existingConfigMap"] == nil {
				t.Fatal("no config ConfigMap rendered")
			}
			grace := d.Spec.Template.Spec.TerminationGracePeriodSeconds
			if grace == nil || time.Duration(*grace)*time.Second <= drain {
				t.Errorf("terminationGracePeriodSeconds %v is not longer than shutdown_grace %v", grace, drain)
			}
			args := d.Spec.Template.Spec.Containers[0].Args
			if !slices.Equal(args, []string{"serve", "--config", "/etc/sluice/sluice.yaml"}) {
				t.Errorf("args %q", args)
			}
		})
	}
}

// checkConfigPaths: the files the config names are where the pod mounts
// them.
func checkConfigPaths(t *testing.T, snap *config.Snapshot, mounts []corev1.VolumeMount) {
	t.Helper()
	mounted := func(path string) bool {
		return slices.ContainsFunc(mounts, func(m corev1.VolumeMount) bool {
			return m.MountPath != "/etc/sluice" && strings.HasPrefix(path, m.MountPath+"/") || path == m.MountPath
		})
	}
	if snap.Policy != nil && snap.Policy.Dir != "" && !mounted(snap.Policy.Dir) {
		t.Errorf("policy.dir %s is not mounted", snap.Policy.Dir)
	}
	if f := snap.Identity.KeysFile; f != "" && !mounted(f) {
		t.Errorf("identity.api_keys_file %s is not mounted", f)
	}
}

// The chart's own refusals: a grace period that would kill a draining
// pod, and a backend Envoy has no route for.
func TestRenderRefuses(t *testing.T) {
	tests := []struct {
		name   string
		values map[string]any
		want   string
	}{
		{"explicit grace too short", map[string]any{"shutdownGrace": "30s", "terminationGracePeriodSeconds": 30}, "must be longer than shutdownGrace (30s)"},
		{"minutes", map[string]any{"shutdownGrace": "2m", "terminationGracePeriodSeconds": 100}, "must be longer than shutdownGrace (120s)"},
		{"backend without a route", map[string]any{"config": map[string]any{
			"backends": []any{map[string]any{"name": "local", "provider": "openai_compatible"}},
		}}, `backend "local" has no route in envoy.backends`},
		{"chain without a route", map[string]any{"config": map[string]any{
			"fallback_chains": []any{map[string]any{"name": "openai_then_anthropic", "backends": []any{"anthropic", "openai"}}},
		}}, `chain "openai_then_anthropic" needs the same entry in envoy.fallbackChains`},
		{"chain member unknown to envoy", map[string]any{"envoy": map[string]any{
			"fallbackChains": []any{map[string]any{"name": "x_then_openai", "backends": []any{"x", "openai"}}},
		}}, `backend "x" is not in envoy.backends`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := render(loadChart(t, true), tt.values)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

// fail_open's local share divides each limit by the most replicas the
// Deployment can have, so the replicas together never pass the limit.
func TestFailOpenShareFollowsReplicas(t *testing.T) {
	tests := []struct {
		name   string
		values map[string]any
		want   int64
	}{
		{"fixed replicas", map[string]any{"replicaCount": 4}, 4},
		{"autoscaled", map[string]any{"autoscaling": map[string]any{"enabled": true, "maxReplicas": 7}}, 7},
		{"set in config", map[string]any{"config": map[string]any{
			"backends": []any{map[string]any{"name": "local", "provider": "openai_compatible"}},
			"models":   []any{map[string]any{"name": "llama", "backend": "local"}},
			"state":    map[string]any{"replicas": 2},
		}, "mode": "mesh"}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.values["redis"] = map[string]any{"enabled": true, "address": "redis:6379", "onRedisError": "fail_open"}
			out, err := render(loadChart(t, true), tt.values)
			if err != nil {
				t.Fatal(err)
			}
			o := decodeAll(t, manifests(out))
			snap, err := config.Parse("/etc/sluice/sluice.yaml", []byte(o.configMaps["sluice-config"].Data["sluice.yaml"]), config.LoadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if got := snap.Proto.GetState().GetReplicas(); got != tt.want || snap.Proto.GetState().GetOnRedisError() != "fail_open" {
				t.Errorf("state.replicas = %d, want %d", got, tt.want)
			}
		})
	}
}
