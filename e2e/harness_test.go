package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	fp "github.com/sluice-gw/sluice/e2e/fakeprovider"
	"github.com/sluice-gw/sluice/envoy"
	"github.com/sluice-gw/sluice/pkg/envoystandin"
	"github.com/sluice-gw/sluice/pkg/identity/apikey"
)

// clientKey is the gateway key clients send: a real Sluice key, whose hash
// is in the config. Every fake forbids it, so a request that forwards it
// to a provider fails.
var clientKey, clientKeyID, clientKeyHash = mustKey()

func mustKey() (key, id, hash string) {
	key, id, err := apikey.Generate()
	if err == nil {
		hash, err = apikey.Hash(key)
	}
	if err != nil {
		panic(err)
	}
	return key, id, hash
}

// Paths set up by TestMain.
var (
	repoRoot  string
	binDir    string
	sluiceBin string
)

func TestMain(m *testing.M) { os.Exit(runMain(m)) }

func runMain(m *testing.M) int {
	root, err := findRepoRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	repoRoot = root
	dir, err := os.MkdirTemp("", "sluice-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	binDir = dir
	sluiceBin = filepath.Join(dir, "sluice")
	if err := buildSluice(sluiceBin, raceEnabled); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	return m.Run()
}

func buildSluice(out string, race bool) error {
	args := []string{"build", "-o", out}
	if race {
		args = append(args, "-race")
	}
	cmd := exec.Command("go", append(args, "./cmd/sluice")...)
	cmd.Dir = repoRoot
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("building the sluice binary: %w\n%s", err, b)
	}
	return nil
}

var (
	plainOnce sync.Once
	plainBin  string
	plainErr  error
)

// plainSluiceBin is a sluice binary built without the race detector, for
// load that would take minutes under it. Without -race it is sluiceBin.
func plainSluiceBin(t *testing.T) string {
	t.Helper()
	if !raceEnabled {
		return sluiceBin
	}
	plainOnce.Do(func() {
		plainBin = filepath.Join(binDir, "sluice-plain")
		plainErr = buildSluice(plainBin, false)
	})
	if plainErr != nil {
		t.Fatal(plainErr)
	}
	return plainBin
}

// findRepoRoot walks up from the working directory to the module root.
func findRepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

// env is one running gateway: the fakes, a sluice process and a front
// proxy (the Envoy stand-in, or Envoy itself).
type env struct {
	fakes   *fp.Set
	sluice  *sluiceProc
	baseURL string // the front proxy, "http://127.0.0.1:port"
	// replicas are every sluice process, each behind its own stand-in at
	// the same index of replicaURLs; the first is sluice and baseURL.
	replicas    []*sluiceProc
	replicaURLs []string
	client      openai.Client
	http        *http.Client
	// decisionLog is the policy decision log file; empty when it is off.
	decisionLog string

	mu      sync.Mutex
	records []envoystandin.RequestRecord
}

type envOptions struct {
	config configOptions
	// decisionLog turns the policy decision log on, into a file the test
	// reads with env.decision.
	decisionLog bool
	// plainSluice runs sluice without the race detector; see
	// plainSluiceBin.
	plainSluice bool
	// realEnvoy fronts sluice with the envoy binary instead of the stand-in.
	realEnvoy bool
	// extProcAddr, when set, replaces the sluice process: the front proxy
	// calls this address for ext_proc and no sluice is started.
	extProcAddr string
	// replicas is how many sluice processes run on the same config, each
	// fronted by its own stand-in (the stand-in's ext_proc cluster takes one
	// address); 0 means 1.
	replicas int
}

type envOption func(*envOptions)

func withMaxRequestBody(limit string) envOption {
	return func(o *envOptions) { o.config.maxRequestBody = limit }
}

// withConfig replaces the environment's config options.
func withConfig(c configOptions) envOption { return func(o *envOptions) { o.config = c } }

func withDecisionLog() envOption { return func(o *envOptions) { o.decisionLog = true } }

func withPlainSluice() envOption { return func(o *envOptions) { o.plainSluice = true } }

func withRealEnvoy() envOption { return func(o *envOptions) { o.realEnvoy = true } }

// withReplicas runs n sluice processes on one config, each behind its own
// stand-in: env.replicas and env.replicaURLs.
func withReplicas(n int) envOption { return func(o *envOptions) { o.replicas = n } }

func withExtProcAt(addr string) envOption { return func(o *envOptions) { o.extProcAddr = addr } }

// newEnv starts fakes, sluice and the front proxy for t; everything stops
// when t ends. Fakes cut their responses awkwardly, with a seed derived
// from the test name so a failure replays.
func newEnv(t *testing.T, opts ...envOption) *env {
	t.Helper()
	var o envOptions
	for _, f := range opts {
		f(&o)
	}
	seed := seedFor(t.Name())
	t.Logf("fakes split responses with fakeprovider.Awkward(%d)", seed)
	e := &env{fakes: fp.StartAll(t, fp.WithSplit(fp.Awkward(seed)))}
	e.fakes.Forbid(clientKey)
	if o.decisionLog {
		e.decisionLog = filepath.Join(t.TempDir(), "decisions.jsonl")
		o.config.decisionLog = e.decisionLog
	}
	extProc := o.extProcAddr
	if extProc == "" {
		bin := sluiceBin
		if o.plainSluice {
			bin = plainSluiceBin(t)
		}
		e.sluice = startSluice(t, bin, e.fakes, o.config)
		extProc = e.sluice.grpcAddr
	}
	overrides, err := clusterOverrides(e.fakes, extProc)
	if err != nil {
		t.Fatal(err)
	}
	if o.realEnvoy {
		e.baseURL = startEnvoy(t, overrides)
	} else {
		e.baseURL = e.startStandin(t, overrides)
	}
	if e.sluice != nil {
		e.replicas, e.replicaURLs = []*sluiceProc{e.sluice}, []string{e.baseURL}
	}
	for i := 1; i < o.replicas && e.sluice != nil && !o.realEnvoy; i++ {
		// The same options render the same config, on the replica's own
		// listen addresses.
		s := startSluice(t, e.sluice.cmd.Path, e.fakes, o.config)
		ov, err := clusterOverrides(e.fakes, s.grpcAddr)
		if err != nil {
			t.Fatal(err)
		}
		e.replicas = append(e.replicas, s)
		e.replicaURLs = append(e.replicaURLs, e.startStandin(t, ov))
	}
	e.http = &http.Client{Timeout: 30 * time.Second}
	e.client = openai.NewClient(
		option.WithBaseURL(e.baseURL+"/v1/"),
		option.WithAPIKey(clientKey),
		option.WithMaxRetries(0),
		option.WithHTTPClient(e.http),
	)
	return e
}

// clusterOverrides points every provider cluster of envoy/envoy.yaml at
// its fake: the plain `<backend>` clusters, the `<backend>_fallback`
// members of fallback chains, and the mock cluster (at the OpenAI fake).
// sluice_ext_proc goes to extProc.
func clusterOverrides(fakes *fp.Set, extProc string) (map[string]string, error) {
	data, err := os.ReadFile(filepath.Join(repoRoot, "envoy", "envoy.yaml"))
	if err != nil {
		return nil, err
	}
	b, err := envoy.DecodeBootstrap(data)
	if err != nil {
		return nil, fmt.Errorf("envoy/envoy.yaml: %w", err)
	}
	addrs := fakes.Addrs()
	addrs[mockBackend] = addrs[fp.BackendOpenAI]
	overrides := map[string]string{extProcCluster: extProc}
	for _, c := range b.GetStaticResources().GetClusters() {
		name := c.GetName()
		if addr, ok := addrs[strings.TrimSuffix(name, fallbackSuffix)]; ok {
			overrides[name] = addr
		}
	}
	for backend := range addrs {
		if _, ok := overrides[backend]; !ok {
			return nil, fmt.Errorf("envoy/envoy.yaml has no cluster %q", backend)
		}
	}
	return overrides, nil
}

// fallbackSuffix ends the name of a fallback chain member's cluster.
const fallbackSuffix = "_fallback"

func seedFor(name string) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(name)) // hash writes never fail
	return h.Sum64()%1000 + 1
}

// markers makes every request's text unique, so a test finds its own
// request among those a shared fake recorded. They have a fixed width, so
// no marker is a prefix of another ("-000001" is not found in "-000012").
var markers atomic.Int64

func newMarker() string { return fmt.Sprintf("e2e-marker-%06d", markers.Add(1)) }

// upstream returns the request backend's fake received carrying marker.
func (e *env) upstream(t *testing.T, backend, marker string) fp.Request {
	t.Helper()
	for _, r := range e.fakes.Fake(backend).Requests() {
		if bytes.Contains(r.Body, []byte(marker)) {
			return r
		}
	}
	t.Fatalf("the %s fake received no request carrying %q", backend, marker)
	return fp.Request{}
}

// noUpstream fails when any fake received a request carrying marker.
func (e *env) noUpstream(t *testing.T, marker string) {
	t.Helper()
	for _, b := range e.fakes.Backends() {
		for _, r := range e.fakes.Fake(b).Requests() {
			if bytes.Contains(r.Body, []byte(marker)) {
				t.Errorf("the %s fake received %s %s, want no upstream request", b, r.Method, r.Path)
			}
		}
	}
}

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}
