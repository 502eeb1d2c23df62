package mockmodel

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestServeShutsDownOnCancel(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, ln) }()

	url := "http://" + ln.Addr().String() + "/v1/chat/completions"
	body := `{"model":"m","stream":true,"messages":[{"role":"user","content":"hi"}]}`
	res, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(res.Body)
	if cerr := res.Body.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	if ct := res.Header.Get("Content-Type"); ct != "text/event-stream" || !strings.HasSuffix(string(b), "data: [DONE]\n\n") {
		t.Errorf("content-type %q, body %q", ct, b)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve returned %v after cancel", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return after cancel")
	}
}

func TestListenAndServeReportsBadAddress(t *testing.T) {
	if err := ListenAndServe(t.Context(), "256.0.0.1:bad"); err == nil {
		t.Error("want an error for an unusable address")
	}
}
