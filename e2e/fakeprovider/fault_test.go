package fakeprovider

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tidwall/gjson"
)

func TestParseFault(t *testing.T) {
	tests := []struct {
		in   string
		want Fault
		ok   bool
	}{
		{"gpt-4o", Fault{}, false},
		{"cutting-edge-model", Fault{}, false},
		{"fault-429", Fault{Kind: RateLimited}, true},
		{"gpt-4o-fault-503", Fault{Kind: Unavailable}, true},
		{"claude-fault-stream-error", Fault{Kind: StreamError}, true},
		{"fault-slow", Fault{Kind: Slow, Delay: DefaultDelay, Gap: DefaultDelay / 10}, true},
		{"fault-slow-250ms", Fault{Kind: Slow, Delay: 250 * time.Millisecond, Gap: 25 * time.Millisecond}, true},
		{"anthropic.claude-fault-slow-2s-v1:0", Fault{Kind: Slow, Delay: 2 * time.Second, Gap: 200 * time.Millisecond}, true},
		{"fault-unknown", Fault{}, false},
	}
	for _, tt := range tests {
		got, ok := ParseFault(tt.in)
		if ok != tt.ok || got != tt.want {
			t.Errorf("ParseFault(%q) = %+v, %v; want %+v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

// faultModel names a model that selects kind, in each provider's style.
func faultModel(backend string, kind FaultKind) string {
	if backend == BackendBedrock {
		return "anthropic.claude-fault-" + string(kind) + "-v1:0"
	}
	return "model-fault-" + string(kind)
}

func TestErrorFaults(t *testing.T) {
	set := StartAll(t)
	for _, backend := range backends {
		for kind, status := range map[FaultKind]int{RateLimited: 429, ServerError: 500, Unavailable: 503, Overloaded: 529} {
			for _, stream := range []bool{false, true} {
				res := mustSend(t, chatRequest(t, backend, set.URL(backend), faultModel(backend, kind), stream))
				if res.status != status || !json.Valid(res.body) {
					t.Errorf("%s %s stream=%v: got %d %s, want %d with a JSON body", backend, kind, stream, res.status, res.body, status)
				}
			}
		}
	}
}

func TestBodyFaults(t *testing.T) {
	set := StartAll(t)
	for _, backend := range backends {
		t.Run(backend, func(t *testing.T) {
			res := mustSend(t, chatRequest(t, backend, set.URL(backend), faultModel(backend, Malformed), false))
			if res.status != http.StatusOK || json.Valid(res.body) || len(res.body) == 0 {
				t.Errorf("malformed: got %d %q, want 200 with broken JSON", res.status, res.body)
			}
			res = mustSend(t, chatRequest(t, backend, set.URL(backend), faultModel(backend, Cut), false))
			if !errors.Is(res.readErr, io.ErrUnexpectedEOF) {
				t.Errorf("cut: read error %v, want unexpected EOF", res.readErr)
			}
			if _, err := send(t, chatRequest(t, backend, set.URL(backend), faultModel(backend, Reset), false)); err == nil {
				t.Error("reset: request succeeded, want a connection error")
			}
			res = mustSend(t, chatRequest(t, backend, set.URL(backend), faultModel(backend, StreamError), false))
			if res.status != http.StatusInternalServerError {
				t.Errorf("stream-error without a stream: got %d, want 500", res.status)
			}
		})
	}
}

func TestStreamFaults(t *testing.T) {
	set := StartAll(t)
	for _, backend := range backends {
		t.Run(backend, func(t *testing.T) {
			stream := func(kind FaultKind) result {
				t.Helper()
				res := mustSend(t, chatRequest(t, backend, set.URL(backend), faultModel(backend, kind), true))
				if res.status != http.StatusOK {
					t.Fatalf("%s: status %d: %s", kind, res.status, res.body)
				}
				return res
			}

			res := stream(Malformed)
			frames, partial := decodeStream(t, backend, res.body)
			if partial || len(frames) < 2 || json.Valid([]byte(frames[len(frames)-1].data)) {
				t.Errorf("malformed: want whole events ending in one with broken JSON, got partial=%v %+v", partial, frames)
			}

			res = stream(Cut)
			if _, partial := decodeStream(t, backend, res.body); res.readErr != nil || !partial {
				t.Errorf("cut: read error %v, partial %v; want a clean end partway through an event", res.readErr, partial)
			}

			res = stream(Reset)
			if res.readErr == nil {
				t.Error("reset: body read without error, want a connection reset")
			}

			res = stream(StreamError)
			frames, _ = decodeStream(t, backend, res.body)
			if last := frames[len(frames)-1]; !isErrorEvent(backend, last) {
				t.Errorf("stream-error: last event %+v is not the provider's error event", last)
			}
		})
	}
}

func isErrorEvent(backend string, f frame) bool {
	switch backend {
	case BackendAnthropic:
		return f.name == "error" && gjson.Get(f.data, "error.type").String() == "overloaded_error"
	case BackendBedrock:
		return f.exception && f.name == "serviceUnavailableException"
	}
	return gjson.Get(f.data, "error.message").Exists()
}

func TestSlowFault(t *testing.T) {
	set := StartAll(t)
	start := time.Now()
	res := mustSend(t, chatRequest(t, BackendAnthropic, set.URL(BackendAnthropic), "claude-fault-slow-60ms", true))
	if elapsed := time.Since(start); elapsed < 60*time.Millisecond {
		t.Errorf("answered in %v, want at least 60ms", elapsed)
	}
	frames, partial := decodeStream(t, BackendAnthropic, res.body)
	if got := streamText(BackendAnthropic, frames); partial || got != ReplyText {
		t.Errorf("a slow stream must still be complete: %q", got)
	}
}

func TestSetFaultTimes(t *testing.T) {
	set := StartAll(t)
	f := set.Fake(BackendOpenAI)
	f.SetFault(Fault{Kind: RateLimited, Times: 2})
	var got []int
	for range 3 {
		got = append(got, mustSend(t, chatRequest(t, BackendOpenAI, set.URL(BackendOpenAI), "gpt-4o", false)).status)
	}
	if diff := cmp.Diff([]int{429, 429, 200}, got); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	f.SetFault(Fault{Kind: ServerError})
	f.Reset()
	if s := mustSend(t, chatRequest(t, BackendOpenAI, set.URL(BackendOpenAI), "gpt-4o", false)).status; s != 200 {
		t.Errorf("after Reset: status %d, want 200", s)
	}
	if n := len(f.Requests()); n != 1 {
		t.Errorf("after Reset: %d recorded requests, want 1", n)
	}
}

func TestFaultHeader(t *testing.T) {
	set := StartAll(t)
	req := chatRequest(t, BackendGemini, set.URL(BackendGemini), "gemini-2.5-flash", false)
	req.Header.Set(FaultHeader, "503")
	if res := mustSend(t, req); res.status != http.StatusServiceUnavailable || !strings.Contains(string(res.body), "UNAVAILABLE") {
		t.Errorf("got %d %s, want a native 503", res.status, res.body)
	}
}

func TestAzureDeploymentSelectsFault(t *testing.T) {
	set := StartAll(t)
	body := `{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}`
	req := newRequest(t, BackendAzure, set.URL(BackendAzure)+"/openai/deployments/fault-429/chat/completions?api-version=2024-10-21",
		body, http.Header{"Api-Key": {AzureKey}})
	if s := mustSend(t, req).status; s != http.StatusTooManyRequests {
		t.Errorf("status %d, want 429", s)
	}
}
