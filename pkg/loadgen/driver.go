// Package loadgen drives an ext_proc server the way Envoy does, to measure
// what a processor costs per request. For each simulated HTTP request it
// opens one ExternalProcessor/Process stream and sends the request headers,
// the buffered request body, the response headers and the response body,
// waiting for the matching answer to each message before sending the next.
// When the server switches the response body to STREAMED with
// mode_override, the body goes as one message per provider event, each
// awaiting its answer.
//
// It also provides Baseline, a processor that does nothing, so a run can be
// compared against the floor set by gRPC and the protocol itself.
package loadgen

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	extprocv3 "github.com/envoyproxy/go-control-plane/envoy/service/ext_proc/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// Client holds the gRPC connections to one ext_proc server. Like Envoy, it
// keeps them open across requests and multiplexes streams over them.
type Client struct {
	// APIKey is the bearer token every request carries, as a caller's
	// credential passed through Envoy. Set it before Run or Check.
	APIKey string
	// ProtoAnswers decodes every answer with protobuf-go rather than
	// reading it from the wire (answer.go). Set it before Run.
	ProtoAnswers bool
	// NewTurns makes the last message of each chat request one no
	// request sent before, as each turn of a conversation does, so that
	// what the server may remember between requests is the history
	// only. Set it before Run.
	NewTurns bool
	// turns numbers new turns across every Run of the client, warm-ups
	// and alternating slices included, so no number comes twice.
	turns atomic.Uint64

	conns []extprocv3.ExternalProcessorClient
	cc    []*grpc.ClientConn
}

// Dial opens n HTTP/2 connections to addr (host:port, plaintext). Envoy
// opens one per worker thread, so n is typically the proxy's core count.
func Dial(addr string, n int) (*Client, error) {
	c := &Client{}
	for range max(n, 1) {
		cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
			grpc.WithDefaultCallOptions(grpc.ForceCodecV2(newWireCodec())))
		if err != nil {
			_ = c.Close()
			return nil, fmt.Errorf("loadgen: dialing %s: %w", addr, err)
		}
		cc.Connect()
		c.cc = append(c.cc, cc)
		c.conns = append(c.conns, extprocv3.NewExternalProcessorClient(cc))
	}
	return c, nil
}

// Close closes every connection.
func (c *Client) Close() error {
	var first error
	for _, cc := range c.cc {
		if err := cc.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// Load says what to send and for how long.
type Load struct {
	// Cases are used in turn: request i is Cases[i % len(Cases)], so a mix
	// is expressed by repeating entries.
	Cases       []*Case
	Concurrency int
	// Duration bounds the run unless Requests is set.
	Duration time.Duration
	// Requests, when positive, runs exactly this many requests.
	Requests int
	// Timeout bounds one request; a request over it counts as an error.
	Timeout time.Duration
}

// Run drives the load and returns what it measured. Requests in flight
// when the duration ends are completed and counted; none are cut short.
// A request answered with an immediate response, a response of the wrong
// type, or a stream error counts as an error and is left out of the
// latency figures.
func (c *Client) Run(ctx context.Context, l Load) *Result {
	if l.Timeout <= 0 {
		l.Timeout = 10 * time.Second
	}
	conc := max(l.Concurrency, 1)
	var issued atomic.Int64
	deadline := time.Now().Add(l.Duration)
	more := func() bool {
		if ctx.Err() != nil {
			return false
		}
		if l.Requests > 0 {
			return issued.Add(1) <= int64(l.Requests)
		}
		return time.Now().Before(deadline)
	}
	ws := make([]*worker, conc)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range ws {
		ws[i] = newWorker(i, c.conns[i%len(c.conns)], l, c.APIKey, c.NewTurns)
		ws[i].turns = &c.turns
		ws[i].protoAnswers = c.ProtoAnswers
		wg.Go(func() { ws[i].loop(ctx, more) })
	}
	wg.Wait()
	return merge(ws, time.Since(start))
}

type worker struct {
	turns        *atomic.Uint64 // the client's, when requests are new turns
	id           int
	client       extprocv3.ExternalProcessorClient
	scripts      []*script
	timeout      time.Duration
	n            int
	rec          recorder
	protoAnswers bool
	answer       answer // the last answer, its buffer reused
	events       []time.Duration
}

func newWorker(id int, client extprocv3.ExternalProcessorClient, l Load, apiKey string, newTurns bool) *worker {
	w := &worker{id: id, client: client, timeout: l.Timeout, n: id}
	built := map[*Case]*script{}
	for _, c := range l.Cases {
		if built[c] == nil {
			built[c] = newScript(c, apiKey, newTurns)
		}
		w.scripts = append(w.scripts, built[c])
	}
	return w
}

func (w *worker) loop(ctx context.Context, more func() bool) {
	for more() {
		s := w.scripts[w.n%len(w.scripts)]
		w.n++
		id := strconv.AppendInt([]byte("bench-"), int64(w.id)<<40|int64(w.n), 36)
		if s.turn != nil {
			s.setTurn(w.turns.Add(1))
		}
		t := timings{events: w.events[:0]}
		err := w.one(ctx, s, id, &t, nil)
		w.rec.add(&t, err)
		w.events = t.events
	}
}
