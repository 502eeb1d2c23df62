package envoystandin

import (
	"fmt"
	"net"
	"os"
	"strconv"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"

	"github.com/sluice-gw/sluice/envoy"
)

// defaultBufferLimit is Envoy's per_connection_buffer_limit_bytes default.
const defaultBufferLimit = 1 << 20

// Config is an Envoy bootstrap that fits the stand-in's subset.
type Config struct {
	// Bootstrap is the bootstrap exactly as Envoy would read it.
	Bootstrap *bootstrapv3.Bootstrap

	listeners []*listenerConfig
	clusters  map[string]*clusterConfig
}

type listenerConfig struct {
	name        string
	address     string // host:port
	bufferLimit int
	hcm         *hcmConfig
}

// Load reads an Envoy bootstrap YAML file, such as envoy/envoy.yaml.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path) //nolint:gosec // reading the bootstrap the caller names is the point
	if err != nil {
		return nil, fmt.Errorf("envoystandin: %w", err)
	}
	cfg, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}

// Parse decodes and checks a bootstrap YAML document. Decoding is Envoy's
// (unknown fields and types are errors, validate rules apply); on top of
// that, anything outside the stand-in's subset is an error naming the field.
func Parse(data []byte) (*Config, error) {
	b, err := envoy.DecodeBootstrap(data)
	if err != nil {
		return nil, fmt.Errorf("envoystandin: %w", err)
	}
	cfg, err := compile(b)
	if err != nil {
		return nil, fmt.Errorf("envoystandin: %w", err)
	}
	return cfg, nil
}

// ListenerNames lists the static listeners, in file order.
func (c *Config) ListenerNames() []string {
	names := make([]string, len(c.listeners))
	for i, l := range c.listeners {
		names[i] = l.name
	}
	return names
}

func compile(b *bootstrapv3.Bootstrap) (*Config, error) {
	if err := onlyFields(b, "bootstrap", "node", "admin", "static_resources", "stats_config", "layered_runtime"); err != nil {
		return nil, err
	}
	sr := b.GetStaticResources()
	if err := onlyFields(sr, "static_resources", "listeners", "clusters"); err != nil {
		return nil, err
	}
	cfg := &Config{Bootstrap: b, clusters: map[string]*clusterConfig{}}
	var order []string
	for i, c := range sr.GetClusters() {
		cc, err := compileCluster(c, fmt.Sprintf("static_resources.clusters[%d]", i))
		if err != nil {
			return nil, err
		}
		if cfg.clusters[cc.name] != nil {
			return nil, fmt.Errorf("static_resources.clusters[%d]: duplicate cluster %q", i, cc.name)
		}
		cfg.clusters[cc.name] = cc
		order = append(order, cc.name)
	}
	if err := resolveClusters(cfg.clusters, order); err != nil {
		return nil, err
	}
	for i, l := range sr.GetListeners() {
		lc, err := compileListener(l, fmt.Sprintf("static_resources.listeners[%d]", i), cfg.clusters)
		if err != nil {
			return nil, err
		}
		cfg.listeners = append(cfg.listeners, lc)
	}
	if len(cfg.listeners) == 0 {
		return nil, fmt.Errorf("static_resources.listeners: none")
	}
	return cfg, nil
}

func compileListener(l *listenerv3.Listener, at string, clusters map[string]*clusterConfig) (*listenerConfig, error) {
	if err := onlyFields(l, at, "name", "address", "filter_chains", "per_connection_buffer_limit_bytes",
		"stat_prefix", "access_log", "traffic_direction"); err != nil {
		return nil, err
	}
	addr, err := socketAddress(l.GetAddress(), at+".address")
	if err != nil {
		return nil, err
	}
	lc := &listenerConfig{name: l.GetName(), address: addr, bufferLimit: defaultBufferLimit}
	if v := l.GetPerConnectionBufferLimitBytes(); v != nil {
		lc.bufferLimit = int(v.GetValue())
	}
	if len(l.GetFilterChains()) != 1 {
		return nil, fmt.Errorf("%s.filter_chains: the Envoy stand-in supports exactly one filter chain", at)
	}
	fc := l.GetFilterChains()[0]
	at += ".filter_chains[0]"
	if err := onlyFields(fc, at, "name", "filters"); err != nil {
		return nil, err
	}
	if len(fc.GetFilters()) != 1 {
		return nil, fmt.Errorf("%s.filters: the Envoy stand-in supports exactly one network filter (the HTTP connection manager)", at)
	}
	f := fc.GetFilters()[0]
	lc.hcm, err = compileHCM(f.GetTypedConfig(), at+".filters[0]", clusters)
	if err != nil {
		return nil, err
	}
	return lc, nil
}

func socketAddress(a *corev3.Address, at string) (string, error) {
	sa := a.GetSocketAddress()
	if sa == nil {
		return "", fmt.Errorf("%s: only socket_address is supported by the Envoy stand-in", at)
	}
	if err := onlyFields(sa, at+".socket_address", "address", "port_value", "protocol"); err != nil {
		return "", err
	}
	if sa.GetProtocol() != corev3.SocketAddress_TCP {
		return "", fmt.Errorf("%s.socket_address.protocol: only TCP is supported by the Envoy stand-in", at)
	}
	return net.JoinHostPort(sa.GetAddress(), strconv.Itoa(int(sa.GetPortValue()))), nil
}
