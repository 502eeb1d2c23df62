package envoystandin_test

import (
	"net"
	"testing"
	"time"

	extprocv3 "github.com/envoyproxy/go-control-plane/envoy/service/ext_proc/v3"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
)

var bodyAnswer = &extprocv3.ProcessingResponse{Response: &extprocv3.ProcessingResponse_RequestBody{RequestBody: &extprocv3.BodyResponse{}}}

func TestStreamFailures(t *testing.T) {
	// Timer cases use a short timeout and a server far slower than it;
	// the others a timeout no loaded machine reaches.
	const base = "processing_mode: { request_body_mode: BUFFERED }\nmessage_timeout: 5s"
	const allow = base + "\nfailure_mode_allow: true"
	const fast = "processing_mode: { request_body_mode: BUFFERED }\nmessage_timeout: 0.3s"
	const fastAllow = fast + "\nfailure_mode_allow: true"
	const extend = fast + "\nmax_message_timeout: 5s"
	onHeaders := func(f func(req *extprocv3.ProcessingRequest) ([]*extprocv3.ProcessingResponse, error)) procFunc {
		return func(req *extprocv3.ProcessingRequest) ([]*extprocv3.ProcessingResponse, error) {
			if req.GetRequestHeaders() != nil {
				return f(req)
			}
			return pass(req)
		}
	}
	wrongType := onHeaders(func(*extprocv3.ProcessingRequest) ([]*extprocv3.ProcessingResponse, error) {
		return []*extprocv3.ProcessingResponse{bodyAnswer}, nil
	})
	extra := onHeaders(func(req *extprocv3.ProcessingRequest) ([]*extprocv3.ProcessingResponse, error) {
		return []*extprocv3.ProcessingResponse{answer(req, nil), answer(req, nil)}, nil
	})
	slow := onHeaders(func(req *extprocv3.ProcessingRequest) ([]*extprocv3.ProcessingResponse, error) {
		time.Sleep(time.Second)
		return []*extprocv3.ProcessingResponse{answer(req, nil)}, nil
	})
	grpcErr := onHeaders(func(*extprocv3.ProcessingRequest) ([]*extprocv3.ProcessingResponse, error) {
		return nil, status.Error(codes.Internal, "boom")
	})
	closed := onHeaders(func(*extprocv3.ProcessingRequest) ([]*extprocv3.ProcessingResponse, error) {
		return nil, errClose
	})
	tests := []struct {
		name      string
		cfg       string
		fn        procFunc
		status    int
		forwarded bool
		check     func(t *testing.T, c countersView)
	}{
		{"wrong response type fails", base, wrongType, 500, false, func(t *testing.T, c countersView) { c.want(t, "spurious", c.Spurious, 1) }},
		{"wrong response type with failure_mode_allow", allow, wrongType, 200, true, func(t *testing.T, c countersView) { c.want(t, "allowed", c.Allowed, 1) }},
		{"extra response fails the next phase", base, extra, 500, false, func(t *testing.T, c countersView) { c.want(t, "spurious", c.Spurious, 1) }},
		{"message timeout", fast, slow, 504, false, func(t *testing.T, c countersView) { c.want(t, "timeouts", c.Timeouts, 1) }},
		{"message timeout with failure_mode_allow", fastAllow, slow, 200, true, func(t *testing.T, c countersView) { c.want(t, "timeouts", c.Timeouts, 1) }},
		{"override_message_timeout extends the timer", extend, extendThenAnswer(time.Second), 200, true, nil},
		{"override_message_timeout needs max_message_timeout", fast, extendThenAnswer(time.Second), 504, false,
			func(t *testing.T, c countersView) { c.want(t, "override ignored", c.OverrideIgnored, 1) }},
		{"gRPC error", base, grpcErr, 500, false, nil},
		{"gRPC error with status_on_error", base + "\nstatus_on_error: { code: 503 }", grpcErr, 503, false, nil},
		{"gRPC error with failure_mode_allow", allow, grpcErr, 200, true, nil},
		{"clean close is not a failure", base, closed, 200, true, func(t *testing.T, c countersView) { c.want(t, "closed", c.Closed, 1) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url, records, _, a, _ := setup(t, tt.cfg, tt.fn, nil)
			resp, body := post(t, url, "{}", "x-backend", "a")
			if resp == nil || resp.StatusCode != tt.status {
				t.Fatalf("status %v %q, want %d", resp, body, tt.status)
			}
			rec := record(t, records)
			if got := len(a.requests()) == 1; got != tt.forwarded {
				t.Errorf("forwarded = %v, want %v (%s)", got, tt.forwarded, rec.LocalReply)
			}
			if tt.check != nil {
				c := rec.Counters
				tt.check(t, countersView{c.SpuriousMessages, c.FailureModeAllowed, c.MessageTimeouts, c.StreamsClosed, c.OverrideMessageTimeoutIgnored})
			}
		})
	}
}

type countersView struct{ Spurious, Allowed, Timeouts, Closed, OverrideIgnored int }

func (countersView) want(t *testing.T, name string, got, want int) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %d, want %d", name, got, want)
	}
}

// extendThenAnswer asks for more time, then answers the headers after d.
func extendThenAnswer(d time.Duration) procFunc {
	return func(req *extprocv3.ProcessingRequest) ([]*extprocv3.ProcessingResponse, error) {
		if req.GetRequestHeaders() == nil {
			return pass(req)
		}
		ext := &extprocv3.ProcessingResponse{OverrideMessageTimeout: durationpb.New(3 * time.Second)}
		return []*extprocv3.ProcessingResponse{ext, delayed(d, answer(req, nil))}, nil
	}
}

// delayed makes the fake server wait d before sending r.
func delayed(d time.Duration, r *extprocv3.ProcessingResponse) *extprocv3.ProcessingResponse {
	delays.Store(r, d)
	return r
}

// A Sluice that cannot be reached fails the request, unless failure_mode_allow.
func TestUnreachableProcessor(t *testing.T) {
	for cfg, want := range map[string]int{bufferedModes: 500, bufferedModes + "failure_mode_allow: true": 200} {
		a := startUpstream(t, nil)
		dead, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := dead.Addr().String()
		_ = dead.Close()
		url, records := front(t, testConfig(t, cfg), map[string]string{"proc": addr, "a": a.addr(), "b": a.addr()})
		if resp, body := post(t, url, "{}", "x-backend", "a"); resp == nil || resp.StatusCode != want {
			t.Fatalf("got %v %q, want %d", resp, body, want)
		}
		if rec := record(t, records); want == 500 && rec.Upstream != nil {
			t.Error("request forwarded without Sluice")
		}
	}
}
