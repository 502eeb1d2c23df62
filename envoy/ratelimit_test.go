package envoy_test

import (
	"bytes"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	ratelimitv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/ratelimit/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"go.yaml.in/yaml/v3"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/sluice-gw/sluice/envoy"
	"github.com/sluice-gw/sluice/pkg/account"
)

func readRateLimitFile(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile("ratelimit/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestRateLimitFilterDecodes(t *testing.T) {
	f := &hcmv3.HttpFilter{}
	if err := envoy.Unmarshal(readRateLimitFile(t, "filter.yaml"), f); err != nil {
		t.Fatal(err)
	}
	if err := envoy.Validate(f); err != nil {
		t.Fatal(err)
	}
	rl := &ratelimitv3.RateLimit{}
	if err := f.GetTypedConfig().UnmarshalTo(rl); err != nil {
		t.Fatal(err)
	}
	if rl.GetDomain() != serviceConfig(t).Domain {
		t.Errorf("filter domain %q, service domain %q", rl.GetDomain(), serviceConfig(t).Domain)
	}
	if rl.GetFailureModeDeny() {
		t.Error("an outage of the rate limit service would stop model traffic")
	}
	if got := rl.GetRateLimitService().GetGrpcService().GetEnvoyGrpc().GetClusterName(); got != clusterName(t) {
		t.Errorf("filter calls cluster %q, cluster.yaml defines %q", got, clusterName(t))
	}
}

func clusterName(t *testing.T) string {
	t.Helper()
	c := &clusterv3.Cluster{}
	if err := envoy.Unmarshal(readRateLimitFile(t, "cluster.yaml"), c); err != nil {
		t.Fatal(err)
	}
	if err := envoy.Validate(c); err != nil {
		t.Fatal(err)
	}
	return c.GetName()
}

// routeRateLimits loads route.yaml the way Envoy sees it: as a route's
// typed_per_filter_config.
func routeRateLimits(t *testing.T) []*routev3.RateLimit {
	t.Helper()
	js, err := sigsyaml.YAMLToJSON(readRateLimitFile(t, "route.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	doc := fmt.Sprintf(`{"name":"openai","match":{"prefix":"/"},"route":{"cluster":"openai"},"typed_per_filter_config":%s}`, js)
	r := &routev3.Route{}
	if err := envoy.Unmarshal([]byte(doc), r); err != nil {
		t.Fatal(err)
	}
	if err := envoy.Validate(r); err != nil {
		t.Fatal(err)
	}
	cfg, ok := r.GetTypedPerFilterConfig()["envoy.filters.http.ratelimit"]
	if !ok {
		t.Fatal("route.yaml does not configure envoy.filters.http.ratelimit")
	}
	per := &ratelimitv3.RateLimitPerRoute{}
	if err := cfg.UnmarshalTo(per); err != nil {
		t.Fatal(err)
	}
	return per.GetRateLimits()
}

// descriptor is the keys (and fixed values) one rate_limits entry sends.
func descriptor(t *testing.T, rl *routev3.RateLimit) []string {
	t.Helper()
	var keys []string
	for _, a := range rl.GetActions() {
		switch {
		case a.GetMetadata() != nil:
			m := a.GetMetadata()
			if m.GetMetadataKey().GetKey() != "sluice" || m.GetSource() != routev3.RateLimit_Action_MetaData_DYNAMIC {
				t.Errorf("metadata action reads %v; Sluice publishes dynamic metadata in namespace sluice", m.GetMetadataKey())
			}
			if p := m.GetMetadataKey().GetPath(); len(p) != 1 || p[0].GetKey() != account.MetaTenant {
				t.Errorf("metadata path %v is not a key Sluice publishes", p)
			}
			keys = append(keys, m.GetDescriptorKey()+"=*")
		case a.GetGenericKey() != nil:
			keys = append(keys, a.GetGenericKey().GetDescriptorKey()+"="+a.GetGenericKey().GetDescriptorValue())
		default:
			t.Errorf("unexpected action %v", a)
		}
		if rl.GetStage() != nil || rl.GetDisableKey() != "" || rl.GetLimit() != nil {
			t.Error("stage, disable_key and limit are not supported in RateLimitPerRoute")
		}
	}
	return keys
}

func TestRateLimitRoutesChargeTokensWhenDone(t *testing.T) {
	rls := routeRateLimits(t)
	var onRequest, onDone [][]string
	for _, rl := range rls {
		d := descriptor(t, rl)
		if !rl.GetApplyOnStreamDone() {
			if rl.GetHitsAddend() != nil {
				t.Errorf("%v: a request-path entry must count the request, not a metadata value that does not exist yet", d)
			}
			onRequest = append(onRequest, d)
			continue
		}
		want := "%DYNAMIC_METADATA(sluice:" + account.MetaTotalTokens + ")%"
		if got := rl.GetHitsAddend().GetFormat(); got != want {
			t.Errorf("hits_addend = %q, want %q", got, want)
		}
		onDone = append(onDone, d)
	}
	if len(onDone) == 0 {
		t.Fatal("no entry charges tokens when the stream is done")
	}
	// The charge at stream end never blocks anything; only a request-path
	// entry on the same descriptor refuses the next request.
	for _, d := range onDone {
		if !slices.ContainsFunc(onRequest, func(r []string) bool { return slices.Equal(r, d) }) {
			t.Errorf("descriptor %v is charged when done but never checked on the request path", d)
		}
	}
	svc := serviceConfig(t)
	for _, d := range append(onRequest, onDone...) {
		if !svc.matches(d) {
			t.Errorf("descriptor %v has no limit in config.yaml", d)
		}
	}
}

// serviceConfig is envoyproxy/ratelimit's configuration format
// (src/config/config_impl.go), decoded strictly.
type rlConfig struct {
	Domain      string         `yaml:"domain"`
	Descriptors []rlDescriptor `yaml:"descriptors"`
}

type rlDescriptor struct {
	Key         string         `yaml:"key"`
	Value       string         `yaml:"value"`
	RateLimit   *rlLimit       `yaml:"rate_limit"`
	Descriptors []rlDescriptor `yaml:"descriptors"`
	ShadowMode  bool           `yaml:"shadow_mode"`
}

type rlLimit struct {
	Unit            string `yaml:"unit"`
	RequestsPerUnit uint32 `yaml:"requests_per_unit"`
	Unlimited       bool   `yaml:"unlimited"`
	Name            string `yaml:"name"`
}

func serviceConfig(t *testing.T) *rlConfig {
	t.Helper()
	dec := yaml.NewDecoder(bytes.NewReader(readRateLimitFile(t, "config.yaml")))
	dec.KnownFields(true)
	c := &rlConfig{}
	if err := dec.Decode(c); err != nil {
		t.Fatalf("config.yaml: %v", err)
	}
	if c.Domain == "" {
		t.Fatal("config.yaml: domain is required")
	}
	var check func(ds []rlDescriptor, at string)
	check = func(ds []rlDescriptor, at string) {
		for i, d := range ds {
			p := fmt.Sprintf("%s[%d]", at, i)
			if d.Key == "" {
				t.Errorf("%s: key is required", p)
			}
			if l := d.RateLimit; l != nil && !l.Unlimited {
				if !slices.Contains([]string{"second", "minute", "hour", "day"}, strings.ToLower(l.Unit)) || l.RequestsPerUnit == 0 {
					t.Errorf("%s.rate_limit: %+v", p, l)
				}
			}
			check(d.Descriptors, p+".descriptors")
		}
	}
	check(c.Descriptors, "descriptors")
	return c
}

// matches reports whether the service has a limit for a descriptor given as
// key=value entries ("*" for any value), matching the way the service does:
// entry by entry, a value-specific descriptor or a key-only one.
func (c *rlConfig) matches(entries []string) bool {
	var walk func(ds []rlDescriptor, rest []string) bool
	walk = func(ds []rlDescriptor, rest []string) bool {
		k, v, _ := strings.Cut(rest[0], "=")
		for _, d := range ds {
			if d.Key != k || (d.Value != "" && v != "*" && d.Value != v) || (v == "*" && d.Value != "") {
				continue
			}
			if len(rest) == 1 {
				return d.RateLimit != nil
			}
			if walk(d.Descriptors, rest[1:]) {
				return true
			}
		}
		return false
	}
	return len(entries) > 0 && walk(c.Descriptors, entries)
}
