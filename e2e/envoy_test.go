package e2e

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	upstreamhttpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/sluice-gw/sluice/envoy"
	"github.com/sluice-gw/sluice/pkg/envoystandin"
)

// extProcCluster is the cluster envoy.yaml reaches sluice through.
const extProcCluster = "sluice_ext_proc"

// httpOptionsKey is where Envoy reads a cluster's HTTP protocol options.
const httpOptionsKey = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions"

// The core chat and stream tests, through a real Envoy. Envoy is not
// vendored; the test runs where an `envoy` binary is on PATH.
func TestEnvoyBinary(t *testing.T) {
	if _, err := exec.LookPath("envoy"); err != nil {
		t.Skip("no envoy binary on PATH; the chat and stream tests ran through the Envoy stand-in only")
	}
	t.Parallel()
	e := newEnv(t, withRealEnvoy())
	for _, p := range providers {
		t.Run(p.backend, func(t *testing.T) {
			t.Parallel()
			checkChat(t, e, p)
			checkStream(t, e, p, true)
			checkStream(t, e, p, false)
		})
	}
}

// The bootstrap handed to Envoy must still be one Envoy accepts (strict
// decoding and validation) and one the stand-in can serve, so it is checked
// here even where no envoy binary exists.
func TestEnvoyBootstrapForFakes(t *testing.T) {
	t.Parallel()
	overrides := map[string]string{
		"openai": "127.0.0.1:1001", "azure_openai": "127.0.0.1:1002", "anthropic": "127.0.0.1:1003",
		"gemini": "127.0.0.1:1004", "bedrock": "127.0.0.1:1005", extProcCluster: "127.0.0.1:1006",
		"openai_fallback": "127.0.0.1:1001", "anthropic_fallback": "127.0.0.1:1003", "mock": "127.0.0.1:1001",
	}
	data, err := envoyBootstrap(overrides, "127.0.0.1:2001", "127.0.0.1:2002")
	if err != nil {
		t.Fatal(err)
	}
	b, err := envoy.DecodeBootstrap(data)
	if err != nil {
		t.Fatalf("generated bootstrap does not decode as Envoy would: %v", err)
	}
	for _, c := range b.GetStaticResources().GetClusters() {
		want, ok := overrides[c.GetName()]
		if !ok {
			continue
		}
		sa := c.GetLoadAssignment().GetEndpoints()[0].GetLbEndpoints()[0].GetEndpoint().GetAddress().GetSocketAddress()
		if got := net.JoinHostPort(sa.GetAddress(), strconv.Itoa(int(sa.GetPortValue()))); got != want {
			t.Errorf("cluster %s endpoint = %s, want %s", c.GetName(), got, want)
		}
		if c.GetName() != extProcCluster && c.GetTransportSocket() != nil {
			t.Errorf("cluster %s still originates TLS; the fakes speak plain HTTP", c.GetName())
		}
		if strings.HasSuffix(c.GetName(), fallbackSuffix) && len(upstreamFilters(t, c)) == 0 {
			t.Errorf("cluster %s lost its upstream filters (the per-attempt ext_proc)", c.GetName())
		}
	}
	if _, err := envoystandin.Parse(data); err != nil {
		t.Errorf("generated bootstrap is outside the stand-in's subset: %v", err)
	}
}

// upstreamFilters returns the names of c's upstream HTTP filters.
func upstreamFilters(t *testing.T, c *clusterv3.Cluster) []string {
	t.Helper()
	packed, ok := c.GetTypedExtensionProtocolOptions()[httpOptionsKey]
	if !ok {
		return nil
	}
	var opts upstreamhttpv3.HttpProtocolOptions
	if err := packed.UnmarshalTo(&opts); err != nil {
		t.Fatalf("cluster %s: %v", c.GetName(), err)
	}
	var names []string
	for _, f := range opts.GetHttpFilters() {
		names = append(names, f.GetName())
	}
	return names
}

// startEnvoy runs envoy on a bootstrap derived from envoy/envoy.yaml and
// returns its listener's base URL.
func startEnvoy(t *testing.T, overrides map[string]string) string {
	t.Helper()
	listen, admin := freeAddr(t), freeAddr(t)
	data, err := envoyBootstrap(overrides, listen, admin)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "envoy.json")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	out := &syncBuffer{}
	cmd := exec.Command("envoy", "-c", path, "--disable-hot-restart", "--concurrency", "1", "--log-level", "warn")
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting envoy: %v", err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait() // judged by readiness and the log
		close(exited)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM) // it may already be gone
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("envoy output:\n%s", out.String())
		}
	})
	if err := waitEnvoyReady(admin, exited); err != nil {
		t.Fatalf("envoy: %v", err)
	}
	return "http://" + listen
}

func waitEnvoyReady(admin string, exited <-chan struct{}) error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return fmt.Errorf("exited before it was ready")
		default:
		}
		if resp, err := client.Get("http://" + admin + "/ready"); err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("admin http://%s/ready not 200 within 30s", admin)
}

// envoyBootstrap rewrites envoy/envoy.yaml for a test: listener and admin
// on loopback ports, and every overridden cluster sent to a static
// loopback address. Provider clusters lose their TLS and speak HTTP/1.1,
// as the fakes do; the ext_proc cluster keeps HTTP/2.
func envoyBootstrap(overrides map[string]string, listen, admin string) ([]byte, error) {
	data, err := os.ReadFile(filepath.Join(repoRoot, "envoy", "envoy.yaml"))
	if err != nil {
		return nil, err
	}
	b, err := envoy.DecodeBootstrap(data)
	if err != nil {
		return nil, fmt.Errorf("envoy/envoy.yaml: %w", err)
	}
	if b.Admin == nil {
		return nil, fmt.Errorf("envoy/envoy.yaml: no admin section")
	}
	if b.Admin.Address, err = socketAddress(admin); err != nil {
		return nil, err
	}
	for _, l := range b.GetStaticResources().GetListeners() {
		if l.Address, err = socketAddress(listen); err != nil {
			return nil, err
		}
	}
	for _, c := range b.GetStaticResources().GetClusters() {
		addr, ok := overrides[c.GetName()]
		if !ok {
			continue
		}
		if err := pointCluster(c, addr); err != nil {
			return nil, err
		}
	}
	return protojson.MarshalOptions{Indent: "  "}.Marshal(b)
}

func pointCluster(c *clusterv3.Cluster, addr string) error {
	sa, err := socketAddress(addr)
	if err != nil {
		return err
	}
	c.ClusterDiscoveryType = &clusterv3.Cluster_Type{Type: clusterv3.Cluster_STATIC}
	c.DnsLookupFamily = clusterv3.Cluster_AUTO
	for _, loc := range c.GetLoadAssignment().GetEndpoints() {
		for _, lb := range loc.GetLbEndpoints() {
			lb.GetEndpoint().Address = sa
		}
	}
	if c.GetName() == extProcCluster {
		return nil
	}
	c.TransportSocket = nil
	// A fallback member keeps its upstream filters (the per-attempt
	// ext_proc); only the protocol changes to the fakes' HTTP/1.1.
	var opts upstreamhttpv3.HttpProtocolOptions
	if prev, ok := c.GetTypedExtensionProtocolOptions()[httpOptionsKey]; ok {
		if err := prev.UnmarshalTo(&opts); err != nil {
			return fmt.Errorf("cluster %s: %w", c.GetName(), err)
		}
	}
	opts.UpstreamProtocolOptions = &upstreamhttpv3.HttpProtocolOptions_ExplicitHttpConfig_{
		ExplicitHttpConfig: &upstreamhttpv3.HttpProtocolOptions_ExplicitHttpConfig{
			ProtocolConfig: &upstreamhttpv3.HttpProtocolOptions_ExplicitHttpConfig_HttpProtocolOptions{
				HttpProtocolOptions: &corev3.Http1ProtocolOptions{},
			},
		},
	}
	packed, err := anypb.New(&opts)
	if err != nil {
		return err
	}
	c.TypedExtensionProtocolOptions = map[string]*anypb.Any{httpOptionsKey: packed}
	return nil
}

func socketAddress(hostport string) (*corev3.Address, error) {
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		return nil, err
	}
	n, err := strconv.ParseUint(port, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("port of %q: %w", hostport, err)
	}
	host = strings.Trim(host, "[]")
	return &corev3.Address{Address: &corev3.Address_SocketAddress{SocketAddress: &corev3.SocketAddress{
		Address:       host,
		PortSpecifier: &corev3.SocketAddress_PortValue{PortValue: uint32(n)},
	}}}, nil
}
