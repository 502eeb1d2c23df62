package envoystandin

import (
	"fmt"
	"slices"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	aggregatev3 "github.com/envoyproxy/go-control-plane/envoy/extensions/clusters/aggregate/v3"
	extprocfilterv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/ext_proc/v3"
	upstreamcodecv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/upstream_codec/v3"
)

// aggregateClusterType is the cluster_type name of Envoy's aggregate cluster.
const aggregateClusterType = "envoy.clusters.aggregate"

// compileAggregate reads an aggregate cluster. Its members are checked
// once every cluster is known (resolveClusters).
func compileAggregate(c *clusterv3.Cluster, at string) (*clusterConfig, error) {
	if err := onlyFields(c, at, "name", "cluster_type", "lb_policy", "connect_timeout"); err != nil {
		return nil, err
	}
	ct := c.GetClusterType()
	if ct.GetName() != aggregateClusterType {
		return nil, fmt.Errorf("%s.cluster_type: %q is not supported by the Envoy stand-in (only %s)", at, ct.GetName(), aggregateClusterType)
	}
	cfg := &aggregatev3.ClusterConfig{}
	if err := unpack(ct.GetTypedConfig(), at+".cluster_type", cfg); err != nil {
		return nil, err
	}
	if c.GetLbPolicy() != clusterv3.Cluster_CLUSTER_PROVIDED {
		return nil, fmt.Errorf("%s.lb_policy: an aggregate cluster needs CLUSTER_PROVIDED", at)
	}
	return &clusterConfig{name: c.GetName(), members: cfg.GetClusters()}, nil
}

// resolveClusters checks what clusters say about each other: aggregate
// members, and the ext_proc filters in upstream filter chains, whose gRPC
// cluster may come later in the file.
func resolveClusters(clusters map[string]*clusterConfig, order []string) error {
	for i, name := range order {
		cc := clusters[name]
		at := fmt.Sprintf("static_resources.clusters[%d]", i)
		if err := cc.resolveMembers(clusters, at); err != nil {
			return err
		}
		if err := cc.compileUpstreamFilters(clusters); err != nil {
			return err
		}
	}
	return nil
}

func (cc *clusterConfig) resolveMembers(clusters map[string]*clusterConfig, at string) error {
	at += ".cluster_type.typed_config.clusters"
	for i, m := range cc.members {
		member := clusters[m]
		switch {
		case member == nil:
			return fmt.Errorf("%s[%d]: unknown cluster %q", at, i, m)
		case member.members != nil:
			return fmt.Errorf("%s[%d]: %q is an aggregate cluster; the Envoy stand-in does not nest them", at, i, m)
		case slices.Index(cc.members, m) != i:
			return fmt.Errorf("%s[%d]: cluster %q is listed twice", at, i, m)
		}
	}
	return nil
}

// compileUpstreamFilters accepts at most one ext_proc filter followed by
// envoy.filters.http.upstream_codec, which Envoy requires last.
func (cc *clusterConfig) compileUpstreamFilters(clusters map[string]*clusterConfig) error {
	filters, at := cc.upstreamFilters, cc.upstreamFiltersAt
	for i, f := range filters {
		fat := fmt.Sprintf("%s[%d]", at, i)
		if err := onlyFields(f, fat, "name", "typed_config"); err != nil {
			return err
		}
		switch {
		case f.GetTypedConfig().MessageIs(&upstreamcodecv3.UpstreamCodec{}):
			if i != len(filters)-1 {
				return fmt.Errorf("%s: envoy.filters.http.upstream_codec must be the last upstream HTTP filter", fat)
			}
			return nil
		case f.GetTypedConfig().MessageIs(&extprocfilterv3.ExternalProcessor{}):
			if cc.extProc != nil {
				return fmt.Errorf("%s: the Envoy stand-in supports one ext_proc upstream filter", fat)
			}
			ep, err := compileExtProc(f.GetTypedConfig(), fat, clusters)
			if err != nil {
				return err
			}
			cc.extProc = ep
		default:
			return fmt.Errorf("%s: upstream HTTP filter %q (%s) is not supported by the Envoy stand-in",
				fat, f.GetName(), typeName(f.GetTypedConfig()))
		}
	}
	if len(filters) > 0 {
		return fmt.Errorf("%s: the last upstream HTTP filter must be envoy.filters.http.upstream_codec", at)
	}
	return nil
}

// grpcClusterCheck refuses ext_proc clusters the stand-in cannot dial as
// Envoy would: aggregates, and clusters whose own upstream filters would
// apply to the gRPC stream.
func grpcClusterCheck(c *clusterConfig, at string) error {
	switch {
	case c.members != nil:
		return fmt.Errorf("%s: cluster %q is an aggregate cluster; the Envoy stand-in dials ext_proc at one cluster", at, c.name)
	case len(c.upstreamFilters) > 0:
		return fmt.Errorf("%s: cluster %q has upstream HTTP filters; they are not supported on the ext_proc cluster by the Envoy stand-in", at, c.name)
	}
	return nil
}
