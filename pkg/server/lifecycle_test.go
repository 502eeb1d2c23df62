package server_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	extprocv3 "github.com/envoyproxy/go-control-plane/envoy/service/ext_proc/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/sluice-gw/sluice/pkg/config"
	"github.com/sluice-gw/sluice/pkg/extproc/extproctest"
	"github.com/sluice-gw/sluice/pkg/server"
)

const lifecycleConfig = `
server: {shutdown_grace: %s}
identity: {allow_anonymous: true}
backends: [{name: local, provider: openai_compatible}]
models: [{name: %s, backend: local}]
`

type running struct {
	srv    *server.Server
	grpc   string
	admin  string
	cancel context.CancelFunc
	done   chan error
}

// start runs a real server on loopback listeners from a config file.
func start(t *testing.T, path string) *running {
	t.Helper()
	snap, err := config.Load(path, config.LoadOptions{ResolveSecrets: true})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.Build(snap, path, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	gl, _ := net.Listen("tcp", "127.0.0.1:0")
	al, _ := net.Listen("tcp", "127.0.0.1:0")
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{srv: srv,
		grpc: gl.Addr().String(), admin: al.Addr().String(), cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- r.srv.Serve(ctx, gl, al) }()
	t.Cleanup(func() {
		cancel()
		if err := <-r.done; err != nil {
			t.Errorf("server stopped with %v", err)
		}
	})
	waitFor(t, func() bool { return httpStatus("http://"+r.admin+"/readyz") == 200 })
	return r
}

func writeConfig(t *testing.T, path, grace, model string) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(fmt.Sprintf(lifecycleConfig, grace, model)), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil { // atomic, as editors and ConfigMaps do
		t.Fatal(err)
	}
}

func httpStatus(url string) int {
	resp, err := http.Get(url) //nolint:gosec,noctx // loopback test server
	if err != nil {
		return 0
	}
	_ = resp.Body.Close()
	return resp.StatusCode
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func dial(t *testing.T, addr string) extprocv3.ExternalProcessorClient {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return extprocv3.NewExternalProcessorClient(conn)
}

func TestAdminHealth(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sluice.yaml")
	writeConfig(t, path, "5s", "m1")
	r := start(t, path)
	if s := httpStatus("http://" + r.admin + "/healthz"); s != 200 {
		t.Errorf("/healthz = %d", s)
	}
	if s := httpStatus("http://" + r.admin + "/readyz"); s != 200 {
		t.Errorf("/readyz = %d", s)
	}
}

func TestHotReloadKeepsLastGoodConfig(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sluice.yaml")
	writeConfig(t, path, "5s", "first")
	r := start(t, path)
	v1 := r.srv.Config().Version

	writeConfig(t, path, "5s", "second")
	waitFor(t, func() bool { _, ok := r.srv.Config().Model("second"); return ok })

	if err := os.WriteFile(path, []byte("backends: [{name: x, provider: nope}]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond) // longer than the watcher's debounce
	if _, ok := r.srv.Config().Model("second"); !ok {
		t.Fatal("an invalid config replaced the last good one")
	}
	if r.srv.Config().Version == v1 {
		t.Error("version did not change across a reload")
	}
	// A stream opened now sees the reloaded model.
	st := extproctest.Open(t, dial(t, r.grpc))
	st.Send(extproctest.RequestHeaders("POST", "/v1/chat/completions", false))
	resp := st.Send(extproctest.RequestBody([]byte(`{"model":"second","messages":[{"role":"user","content":"x"}]}`), true))
	if resp.GetRequestBody() == nil {
		t.Fatalf("reloaded model not routable: %v", resp)
	}
}

func TestShutdownDrainsInFlightStreams(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sluice.yaml")
	writeConfig(t, path, "5s", "m1")
	r := start(t, path)
	st := extproctest.Open(t, dial(t, r.grpc))
	st.Send(extproctest.RequestHeaders("POST", "/v1/chat/completions", false))
	st.Send(extproctest.RequestBody([]byte(`{"model":"m1","messages":[{"role":"user","content":"x"}]}`), true))

	r.cancel() // what SIGTERM does
	waitFor(t, func() bool { return httpStatus("http://"+r.admin+"/readyz") != 200 })
	// The stream that was in flight still completes its response phase.
	st.Send(extproctest.ResponseHeaders(200, "application/json", false))
	resp := st.Send(extproctest.ResponseBody([]byte(`{"id":"x","object":"chat.completion","choices":[]}`), true))
	if resp.GetResponseBody() == nil {
		t.Fatalf("in-flight stream cut during drain: %v", resp)
	}
	if err := st.CloseSend(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-r.done:
		r.done <- err
	case <-time.After(3 * time.Second):
		t.Fatal("server did not stop once the last stream ended")
	}
}

func TestShutdownGraceCutsStuckStreams(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sluice.yaml")
	writeConfig(t, path, "200ms", "m1")
	r := start(t, path)
	st := extproctest.Open(t, dial(t, r.grpc))
	st.Send(extproctest.RequestHeaders("POST", "/v1/chat/completions", false))
	start := time.Now()
	r.cancel()
	select {
	case err := <-r.done:
		r.done <- err
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("shutdown took %v with a 200ms grace", d)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a stuck stream held shutdown past the grace period")
	}
}
