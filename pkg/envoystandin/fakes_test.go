package envoystandin_test

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	extprocv3 "github.com/envoyproxy/go-control-plane/envoy/service/ext_proc/v3"
	"google.golang.org/grpc"

	"github.com/sluice-gw/sluice/pkg/envoystandin"
)

// procFunc scripts the fake ext_proc server: the responses to send for one
// message, and an error that ends the stream (errClose: a clean close).
type procFunc func(req *extprocv3.ProcessingRequest) ([]*extprocv3.ProcessingResponse, error)

var errClose = errors.New("close the stream cleanly")

// delays holds responses the fake server sends late (see delayed).
var delays sync.Map

type fakeProc struct {
	extprocv3.UnimplementedExternalProcessorServer
	fn procFunc

	mu  sync.Mutex
	got []*extprocv3.ProcessingRequest
}

func (f *fakeProc) Process(s extprocv3.ExternalProcessor_ProcessServer) error {
	for {
		req, err := s.Recv()
		if err != nil {
			return nil // half-close or cancel: both normal
		}
		f.mu.Lock()
		f.got = append(f.got, req)
		f.mu.Unlock()
		resps, err := f.fn(req)
		for _, r := range resps {
			if d, ok := delays.Load(r); ok {
				time.Sleep(d.(time.Duration))
			}
			if serr := s.Send(r); serr != nil {
				return nil
			}
		}
		if errors.Is(err, errClose) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func (f *fakeProc) messages() []*extprocv3.ProcessingRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*extprocv3.ProcessingRequest(nil), f.got...)
}

// startProc serves fn on a loopback port.
func startProc(t *testing.T, fn procFunc) (*fakeProc, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeProc{fn: fn}
	srv := grpc.NewServer()
	extprocv3.RegisterExternalProcessorServer(srv, f)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(srv.Stop)
	return f, ln.Addr().String()
}

// seen is one request as a fake upstream received it.
type seen struct {
	method, path, host string
	header             http.Header
	body               string
	contentLength      int64
}

type fakeUpstream struct {
	srv *httptest.Server
	mu  sync.Mutex
	got []seen
}

func startUpstream(t *testing.T, h http.HandlerFunc) *fakeUpstream {
	t.Helper()
	u := &fakeUpstream{}
	u.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		u.mu.Lock()
		u.got = append(u.got, seen{r.Method, r.RequestURI, r.Host, r.Header.Clone(), string(b), r.ContentLength})
		u.mu.Unlock()
		if h != nil {
			h(w, r)
			return
		}
		w.Header().Set("content-type", "application/json")
		_, _ = io.WriteString(w, `{"ok":true}`)
	}))
	t.Cleanup(u.srv.Close)
	return u
}

func (u *fakeUpstream) requests() []seen {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]seen(nil), u.got...)
}

func (u *fakeUpstream) addr() string { return strings.TrimPrefix(u.srv.URL, "http://") }

// front runs the stand-in for cfg and returns its URL and request records.
func front(t *testing.T, cfg *envoystandin.Config, overrides map[string]string, opts ...func(*envoystandin.Options)) (string, <-chan envoystandin.RequestRecord) {
	t.Helper()
	records := make(chan envoystandin.RequestRecord, 16)
	o := envoystandin.Options{ClusterOverrides: overrides, OnComplete: func(r envoystandin.RequestRecord) { records <- r }}
	for _, f := range opts {
		f(&o)
	}
	p, err := envoystandin.New(cfg, o)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(p.Handler())
	t.Cleanup(func() {
		srv.Close()
		_ = p.Close()
	})
	return srv.URL, records
}

func record(t *testing.T, records <-chan envoystandin.RequestRecord) envoystandin.RequestRecord {
	t.Helper()
	select {
	case r := <-records:
		return r
	case <-time.After(5 * time.Second):
		t.Fatal("no request record")
		return envoystandin.RequestRecord{}
	}
}

func post(t *testing.T, url, body string, hdr ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err.Error()
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp, "read error: " + err.Error()
	}
	return resp, string(b)
}

// Response builders.

func set(k, v string) *corev3.HeaderValueOption {
	return &corev3.HeaderValueOption{Header: &corev3.HeaderValue{Key: k, RawValue: []byte(v)}}
}

func common(mut *extprocv3.HeaderMutation, body []byte, clearRoute bool) *extprocv3.CommonResponse {
	cr := &extprocv3.CommonResponse{HeaderMutation: mut, ClearRouteCache: clearRoute}
	if body != nil {
		cr.BodyMutation = &extprocv3.BodyMutation{Mutation: &extprocv3.BodyMutation_Body{Body: body}}
	}
	return cr
}

func answer(req *extprocv3.ProcessingRequest, cr *extprocv3.CommonResponse) *extprocv3.ProcessingResponse {
	switch req.GetRequest().(type) {
	case *extprocv3.ProcessingRequest_RequestHeaders:
		return &extprocv3.ProcessingResponse{Response: &extprocv3.ProcessingResponse_RequestHeaders{RequestHeaders: &extprocv3.HeadersResponse{Response: cr}}}
	case *extprocv3.ProcessingRequest_ResponseHeaders:
		return &extprocv3.ProcessingResponse{Response: &extprocv3.ProcessingResponse_ResponseHeaders{ResponseHeaders: &extprocv3.HeadersResponse{Response: cr}}}
	case *extprocv3.ProcessingRequest_RequestBody:
		return &extprocv3.ProcessingResponse{Response: &extprocv3.ProcessingResponse_RequestBody{RequestBody: &extprocv3.BodyResponse{Response: cr}}}
	case *extprocv3.ProcessingRequest_ResponseBody:
		return &extprocv3.ProcessingResponse{Response: &extprocv3.ProcessingResponse_ResponseBody{ResponseBody: &extprocv3.BodyResponse{Response: cr}}}
	}
	return nil
}

// pass answers every message with an empty CONTINUE.
func pass(req *extprocv3.ProcessingRequest) ([]*extprocv3.ProcessingResponse, error) {
	return []*extprocv3.ProcessingResponse{answer(req, nil)}, nil
}

func kind(req *extprocv3.ProcessingRequest) string {
	switch req.GetRequest().(type) {
	case *extprocv3.ProcessingRequest_RequestHeaders:
		return "request_headers"
	case *extprocv3.ProcessingRequest_RequestBody:
		return "request_body"
	case *extprocv3.ProcessingRequest_ResponseHeaders:
		return "response_headers"
	case *extprocv3.ProcessingRequest_ResponseBody:
		return "response_body"
	}
	return "other"
}
