package envoy_test

import (
	"net/netip"
	"slices"
	"strings"
	"testing"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	aggregatev3 "github.com/envoyproxy/go-control-plane/envoy/extensions/clusters/aggregate/v3"
	extprocv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/ext_proc/v3"
	upstreamcodecv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/upstream_codec/v3"
	previousv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/retry/priority/previous_priorities/v3"
	upstreamhttpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/sluice-gw/sluice/envoy"
)

// upstreamBackendKey is the gRPC metadata key that tells Sluice which
// backend an attempt's upstream ext_proc stream is for.
const upstreamBackendKey = "x-sluice-upstream-backend"

// fallbackSuffix names a provider cluster's copy with upstream filters.
const fallbackSuffix = "_fallback"

// checkFallback checks every fallback chain: a route on x-sluice-backend to
// an aggregate cluster whose members, in order, are <backend>_fallback
// copies of provider clusters with Sluice's ext_proc as upstream filter.
func checkFallback(t *testing.T, routes []*routev3.Route, clusters map[string]*clusterv3.Cluster, downstream *extprocv3.ExternalProcessor) {
	t.Helper()
	chains := 0
	for _, r := range routes {
		members := aggregateMembers(t, clusters[r.GetRoute().GetCluster()])
		if members == nil {
			continue
		}
		chains++
		checkChainRoute(t, r, len(members))
		for _, m := range members {
			backend, ok := strings.CutSuffix(m, fallbackSuffix)
			if !ok || clusters[m] == nil || clusters[backend] == nil {
				t.Errorf("chain %s: member %q is not the %s copy of a provider cluster", r.GetName(), m, fallbackSuffix)
				continue
			}
			checkFallbackCluster(t, clusters[m], clusters[backend], backend, downstream)
		}
	}
	if chains == 0 {
		t.Error("no fallback chain")
	}
	for name, c := range clusters {
		if !strings.HasSuffix(name, fallbackSuffix) && len(upstreamOptions(t, c).GetHttpFilters()) > 0 {
			t.Errorf("cluster %s has upstream filters: single-provider requests would pay for them", name)
		}
	}
}

// aggregateMembers returns an aggregate cluster's members, nil for others.
func aggregateMembers(t *testing.T, c *clusterv3.Cluster) []string {
	t.Helper()
	ct := c.GetClusterType()
	if ct == nil {
		return nil
	}
	cfg := &aggregatev3.ClusterConfig{}
	if ct.GetName() != "envoy.clusters.aggregate" || ct.GetTypedConfig().UnmarshalTo(cfg) != nil {
		t.Fatalf("cluster %s: cluster_type %s is not an aggregate cluster", c.GetName(), ct.GetName())
	}
	if c.GetLbPolicy() != clusterv3.Cluster_CLUSTER_PROVIDED {
		t.Errorf("aggregate cluster %s: lb_policy %s, want CLUSTER_PROVIDED", c.GetName(), c.GetLbPolicy())
	}
	if len(cfg.GetClusters()) < 2 {
		t.Errorf("aggregate cluster %s has %d members, want at least 2", c.GetName(), len(cfg.GetClusters()))
	}
	return cfg.GetClusters()
}

// checkChainRoute: attempt i must reach member i, each with its own host.
func checkChainRoute(t *testing.T, r *routev3.Route, members int) {
	t.Helper()
	act := r.GetRoute()
	if hs := r.GetMatch().GetHeaders(); len(hs) != 1 || hs[0].GetName() != "x-sluice-backend" ||
		hs[0].GetStringMatch().GetExact() != act.GetCluster() {
		t.Errorf("chain route %s does not match x-sluice-backend: %s", r.GetName(), act.GetCluster())
	}
	if !act.GetAutoHostRewrite().GetValue() || act.GetHostRewriteLiteral() != "" {
		t.Errorf("chain route %s: want auto_host_rewrite, so each attempt carries its provider's host", r.GetName())
	}
	if act.GetTimeout() == nil || act.GetTimeout().AsDuration() != 0 {
		t.Errorf("chain route %s: timeout %v, want 0s for streaming", r.GetName(), act.GetTimeout())
	}
	p := act.GetRetryPolicy()
	if got := int(p.GetNumRetries().GetValue()); got != members-1 {
		t.Errorf("chain route %s: num_retries %d, want %d (one per member after the first)", r.GetName(), got, members-1)
	}
	on := strings.Split(p.GetRetryOn(), ",")
	for _, c := range []string{"5xx", "reset", "connect-failure", "retriable-status-codes"} {
		if !slices.Contains(on, c) {
			t.Errorf("chain route %s: retry_on %q lacks %s", r.GetName(), p.GetRetryOn(), c)
		}
	}
	if !slices.Contains(p.GetRetriableStatusCodes(), 429) {
		t.Errorf("chain route %s: a rate-limited provider (429) does not fail over", r.GetName())
	}
	if p.GetPerTryTimeout().AsDuration() <= 0 {
		t.Errorf("chain route %s: no per_try_timeout", r.GetName())
	}
	prev := &previousv3.PreviousPrioritiesConfig{}
	if pr := p.GetRetryPriority(); pr.GetName() != "envoy.retry_priorities.previous_priorities" ||
		pr.GetTypedConfig().UnmarshalTo(prev) != nil || prev.GetUpdateFrequency() != 1 {
		t.Errorf("chain route %s: retries must move to the next member (previous_priorities, update_frequency 1)", r.GetName())
	}
}

func upstreamOptions(t *testing.T, c *clusterv3.Cluster) *upstreamhttpv3.HttpProtocolOptions {
	t.Helper()
	o := &upstreamhttpv3.HttpProtocolOptions{}
	a := c.GetTypedExtensionProtocolOptions()["envoy.extensions.upstreams.http.v3.HttpProtocolOptions"]
	if a == nil {
		return o
	}
	if err := a.UnmarshalTo(o); err != nil {
		t.Fatalf("cluster %s: %v", c.GetName(), err)
	}
	return o
}

// checkFallbackCluster: the copy differs from the provider cluster only in
// its name and upstream filters, which are Sluice's ext_proc (naming the
// backend in its gRPC metadata, set up like the downstream filter) and the
// upstream codec.
func checkFallbackCluster(t *testing.T, fb, plain *clusterv3.Cluster, backend string, downstream *extprocv3.ExternalProcessor) {
	t.Helper()
	filters := upstreamOptions(t, fb).GetHttpFilters()
	if len(filters) != 2 || filters[0].GetName() != "envoy.filters.http.ext_proc" ||
		!filters[1].GetTypedConfig().MessageIs(&upstreamcodecv3.UpstreamCodec{}) {
		t.Fatalf("cluster %s: upstream filters %v, want ext_proc then upstream_codec", fb.GetName(), filters)
	}
	ep := &extprocv3.ExternalProcessor{}
	if err := filters[0].GetTypedConfig().UnmarshalTo(ep); err != nil {
		t.Fatal(err)
	}
	md := ep.GetGrpcService().GetInitialMetadata()
	if len(md) != 1 || md[0].GetKey() != upstreamBackendKey || md[0].GetValue() != backend {
		t.Errorf("cluster %s: initial_metadata %v, want %s: %s", fb.GetName(), md, upstreamBackendKey, backend)
	}
	checkExtProcCore(t, fb.GetName(), ep)
	if !proto.Equal(ep.GetMutationRules(), downstream.GetMutationRules()) ||
		!proto.Equal(ep.GetProcessingMode(), downstream.GetProcessingMode()) ||
		!proto.Equal(ep.GetMessageTimeout(), downstream.GetMessageTimeout()) {
		t.Errorf("cluster %s: upstream ext_proc mode, timeout or mutation rules differ from the downstream filter", fb.GetName())
	}
	if !slices.ContainsFunc(ep.GetAllowedOverrideModes(), func(p *extprocv3.ProcessingMode) bool {
		return p.GetResponseBodyMode() == extprocv3.ProcessingMode_NONE
	}) {
		t.Errorf("cluster %s: Sluice cannot pass an error through unbuffered", fb.GetName())
	}
	if got := ep.GetMetadataOptions().GetForwardingNamespaces().GetUntyped(); !slices.Equal(got, []string{"sluice"}) {
		t.Errorf("cluster %s: forwarding namespaces %v, want [sluice]", fb.GetName(), got)
	}
	checkSameAsProvider(t, fb, plain)
	sa := fb.GetLoadAssignment().GetEndpoints()[0].GetLbEndpoints()[0].GetEndpoint().GetAddress().GetSocketAddress()
	if _, err := netip.ParseAddr(sa.GetAddress()); err == nil || fb.GetType() == clusterv3.Cluster_STATIC {
		t.Errorf("cluster %s: auto_host_rewrite needs a DNS cluster with the provider's host name as endpoint", fb.GetName())
	}
}

func checkSameAsProvider(t *testing.T, fb, plain *clusterv3.Cluster) {
	t.Helper()
	strip := func(c *clusterv3.Cluster) *clusterv3.Cluster {
		c = proto.Clone(c).(*clusterv3.Cluster)
		c.Name, c.LoadAssignment.ClusterName = "", ""
		key := "envoy.extensions.upstreams.http.v3.HttpProtocolOptions"
		if a := c.GetTypedExtensionProtocolOptions()[key]; a != nil {
			o := &upstreamhttpv3.HttpProtocolOptions{}
			if err := a.UnmarshalTo(o); err != nil {
				t.Fatal(err)
			}
			o.HttpFilters = nil
			if err := a.MarshalFrom(o); err != nil {
				t.Fatal(err)
			}
		}
		return c
	}
	if diff := cmp.Diff(strip(plain), strip(fb), protocmp.Transform()); diff != "" {
		t.Errorf("cluster %s drifted from %s beyond its upstream filters (-%s +%s):\n%s",
			fb.GetName(), plain.GetName(), plain.GetName(), fb.GetName(), diff)
	}
}

// Upstream filters live in an Any (HttpProtocolOptions) inside a map
// inside the cluster; validation must reach the ext_proc config in there.
func TestValidateDescendsIntoUpstreamFilters(t *testing.T) {
	const doc = `
static_resources:
  clusters:
  - name: c
    type: STATIC
    typed_extension_protocol_options:
      envoy.extensions.upstreams.http.v3.HttpProtocolOptions:
        "@type": type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions
        explicit_http_config: { http_protocol_options: {} }
        http_filters:
        - name: envoy.filters.http.ext_proc
          typed_config:
            "@type": type.googleapis.com/envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor
            grpc_service: { envoy_grpc: { cluster_name: c } }
            message_timeout: 7200s
        - name: envoy.filters.http.upstream_codec
          typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.upstream_codec.v3.UpstreamCodec }
  - name: chain
    lb_policy: CLUSTER_PROVIDED
    cluster_type:
      name: envoy.clusters.aggregate
      typed_config: { "@type": type.googleapis.com/envoy.extensions.clusters.aggregate.v3.ClusterConfig, clusters: [c] }
`
	b := &bootstrapv3.Bootstrap{}
	if err := envoy.Unmarshal([]byte(doc), b); err != nil {
		t.Fatal(err)
	}
	err := envoy.Validate(b)
	if err == nil || !strings.Contains(err.Error(), "MessageTimeout") {
		t.Fatalf("Validate = %v, want the upstream ext_proc message_timeout (over 1h) rejected", err)
	}
}

// An aggregate cluster with no members and a retry priority without its
// config fail Envoy's validate rules; both live in Anys.
func TestValidateAggregateAndRetryPriority(t *testing.T) {
	for name, doc := range map[string]string{
		"aggregate without clusters": `
static_resources:
  clusters:
  - name: chain
    lb_policy: CLUSTER_PROVIDED
    cluster_type:
      name: envoy.clusters.aggregate
      typed_config: { "@type": type.googleapis.com/envoy.extensions.clusters.aggregate.v3.ClusterConfig }`,
		"previous_priorities update_frequency 0": `
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
          route_config:
            virtual_hosts:
            - name: v
              domains: ["*"]
              routes:
              - match: { prefix: / }
                route:
                  cluster: c
                  retry_policy:
                    retry_priority:
                      name: envoy.retry_priorities.previous_priorities
                      typed_config: { "@type": type.googleapis.com/envoy.extensions.retry.priority.previous_priorities.v3.PreviousPrioritiesConfig }`,
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := envoy.DecodeBootstrap([]byte(doc)); err == nil {
				t.Fatal("decoded without error")
			}
		})
	}
}
