package envoystandin_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"testing"

	"github.com/sluice-gw/sluice/pkg/envoystandin"
)

// Serve speaks HTTP/1.1 and cleartext HTTP/2, and stops cleanly with ctx.
func TestServeHTTP1AndH2C(t *testing.T) {
	_, procAddr := startProc(t, pass)
	a := startUpstream(t, nil)
	p, err := envoystandin.New(testConfig(t, bufferedModes), envoystandin.Options{
		ClusterOverrides: map[string]string{"proc": procAddr, "a": a.addr(), "b": a.addr()},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- p.Serve(ctx, ln) }()

	h2c := &http.Protocols{}
	h2c.SetUnencryptedHTTP2(true)
	clients := map[string]*http.Client{
		"HTTP/1.1": {Transport: &http.Transport{}},
		"HTTP/2.0": {Transport: &http.Transport{Protocols: h2c}},
	}
	for proto, c := range clients {
		req, _ := http.NewRequest(http.MethodGet, "http://"+ln.Addr().String()+"/", nil)
		req.Header.Set("x-backend", "a")
		resp, err := c.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", proto, err)
		}
		body, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if resp.Proto != proto || resp.StatusCode != http.StatusOK || string(body) != `{"ok":true}` {
			t.Errorf("%s: got %s %d %q", proto, resp.Proto, resp.StatusCode, body)
		}
	}
	cancel()
	if err := <-served; err != nil {
		t.Fatalf("Serve = %v", err)
	}
}
