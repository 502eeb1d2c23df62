package fakeprovider

import (
	"context"
	"net"
	"net/http"
	"strings"
	"time"
)

// FaultKind names a failure a fake can inject.
type FaultKind string

// The faults. The string is what follows "fault-" in a model name and what
// the x-fake-fault header carries.
const (
	NoFault FaultKind = ""
	// RateLimited answers 429 with `retry-after: 7` and the provider's
	// native rate-limit body.
	RateLimited FaultKind = "429"
	// ServerError answers 500 with the native body.
	ServerError FaultKind = "500"
	// Unavailable answers 503 with the native body.
	Unavailable FaultKind = "503"
	// Overloaded answers 529, Anthropic's overloaded status, with the
	// native body.
	Overloaded FaultKind = "529"
	// Malformed answers 200 with broken JSON: half the body, or in a stream
	// an event whose payload is half a JSON object, after which the stream
	// ends.
	Malformed FaultKind = "malformed"
	// Cut ends a stream cleanly in the middle of an event. A non-streamed
	// body declares its full Content-Length and stops halfway, so the
	// client sees an unexpected EOF.
	Cut FaultKind = "cut"
	// Reset closes the TCP connection with an RST: halfway through a
	// stream, or before any response to a non-streamed request.
	Reset FaultKind = "reset"
	// StreamError sends the provider's native error event halfway through
	// a stream, then ends it. A non-streamed request gets a 500.
	StreamError FaultKind = "stream-error"
	// Slow waits Delay before answering and Gap between stream events.
	Slow FaultKind = "slow"
)

// faultKinds lists the kinds a model name or header may select, longest
// first so that "stream-error" is not read as a shorter kind.
var faultKinds = []FaultKind{StreamError, Malformed, RateLimited, ServerError, Unavailable, Overloaded, Reset, Slow, Cut}

// Default latency of a Slow fault selected without a duration.
const (
	DefaultDelay = time.Second
	gapDivisor   = 10 // a Slow fault's Gap is its Delay over this
)

// FaultHeader is the request header that selects a fault when the model
// name cannot. Its value is what follows "fault-" in a model name ("429",
// "slow-250ms").
const FaultHeader = "X-Fake-Fault"

// Fault is a failure a fake injects instead of, or into, its normal answer.
type Fault struct {
	Kind FaultKind
	// Delay is slept before the response starts (any kind).
	Delay time.Duration
	// Gap is slept between stream events (any kind).
	Gap time.Duration
	// Times limits a fault set with SetFault to that many requests; zero
	// means every request until the fault is cleared.
	Times int
}

// ParseFault reads a fault from a model name: the text after "fault-"
// names the kind, and a Slow fault may carry a duration, as in
// "gpt-4o-fault-slow-250ms" or "anthropic.claude-fault-slow-2s-v1:0". It
// reports false when s selects no fault.
func ParseFault(s string) (Fault, bool) {
	i := strings.Index(s, "fault-")
	if i < 0 {
		return Fault{}, false
	}
	s = s[i+len("fault-"):]
	for _, k := range faultKinds {
		rest, ok := strings.CutPrefix(s, string(k))
		if !ok {
			continue
		}
		f := Fault{Kind: k}
		if k == Slow {
			f.Delay = DefaultDelay
			rest = strings.TrimPrefix(rest, "-")
			if end := strings.IndexAny(rest, "-:/"); end >= 0 {
				rest = rest[:end]
			}
			if d, err := time.ParseDuration(rest); err == nil && d > 0 {
				f.Delay = d
			}
			f.Gap = f.Delay / gapDivisor
		}
		return f, true
	}
	return Fault{}, false
}

// sleep waits d or until ctx ends, reporting whether the full wait passed.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// reset flushes what was written, then closes the connection so the kernel
// sends an RST instead of a FIN.
func reset(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		// HTTP/2 cannot be hijacked; this is net/http's documented way to
		// abort a response mid-flight, which resets the stream.
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		// Linger 0 turns Close into an RST; an error only means a FIN.
		_ = tc.SetLinger(0)
	}
	_ = conn.Close() // nothing to report to: the point is to drop the peer
}
