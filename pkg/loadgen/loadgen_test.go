package loadgen

import (
	"context"
	"encoding/json"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	extprocv3 "github.com/envoyproxy/go-control-plane/envoy/service/ext_proc/v3"
	"github.com/tidwall/gjson"

	"github.com/sluice-gw/sluice/pkg/identity"
)

func TestCasesAreWellFormed(t *testing.T) {
	for _, c := range Cases() {
		t.Run(c.Name, func(t *testing.T) {
			if !json.Valid(c.RequestBody) {
				t.Fatalf("request body is not JSON: %s", c.RequestBody)
			}
			if n := len(c.RequestBody); n < 1900 || n > 2200 {
				t.Errorf("request body is %d bytes, want about 2 KB", n)
			}
			if c.Stream {
				if len(c.ResponseChunks) != streamEvents {
					t.Errorf("%d response chunks, want %d", len(c.ResponseChunks), streamEvents)
				}
				for i, ch := range c.ResponseChunks {
					if !strings.HasSuffix(string(ch), "\n\n") || strings.Count(string(ch), "\n\n") != 1 {
						t.Errorf("chunk %d is not exactly one SSE event: %q", i, ch)
					}
				}
				return
			}
			if !json.Valid(c.ResponseBody()) {
				t.Fatalf("response body is not JSON: %s", c.ResponseBody())
			}
			if n := len(c.ResponseBody()); n < 900 || n > 1200 {
				t.Errorf("response body is %d bytes, want about 1 KB", n)
			}
		})
	}
}

func TestAnthropicStreamShape(t *testing.T) {
	cs, err := SelectCases([]string{"openai-anthropic-stream"})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, ch := range cs[0].ResponseChunks {
		name, rest, _ := strings.Cut(strings.TrimPrefix(string(ch), "event: "), "\n")
		names = append(names, name)
		// Anthropic writes "type" first, and each event is valid JSON.
		data := strings.TrimSuffix(strings.TrimPrefix(rest, "data: "), "\n\n")
		if !strings.HasPrefix(data, `{"type":"`+name+`"`) || !json.Valid([]byte(data)) {
			t.Errorf("event %s: data %s, want valid JSON starting with its type", name, data)
		}
	}
	want := []string{"message_start", "content_block_start"}
	for range streamEvents - 5 {
		want = append(want, "content_block_delta")
	}
	want = append(want, "content_block_stop", "message_delta", "message_stop")
	if strings.Join(names, ",") != strings.Join(want, ",") {
		t.Errorf("events = %v\nwant %v", names, want)
	}
}

func TestRunAgainstBaseline(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := NewBaselineServer()
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(srv.Stop)

	c, err := Dial(ln.Addr().String(), 2)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })

	for _, cs := range Cases() {
		t.Run(cs.Name, func(t *testing.T) {
			tr, err := c.Check(context.Background(), cs)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := len(tr.Responses), 4; cs.Stream {
				if want = cs.Messages(); got != want || !tr.Streamed {
					t.Errorf("streamed=%v with %d responses, want streamed with %d", tr.Streamed, got, want)
				}
			} else if got != want || tr.Streamed {
				t.Errorf("streamed=%v with %d responses, want buffered with %d", tr.Streamed, got, want)
			}
			res := c.Run(context.Background(), Load{Cases: []*Case{cs}, Concurrency: 4, Requests: 40})
			if res.Errors != 0 || res.Requests != 40 {
				t.Fatalf("%d ok, %d errors (%v), want 40 ok", res.Requests, res.Errors, res.ErrorKinds)
			}
			if res.Total.P50 <= 0 || res.Phases[ResponseBody].P99 <= 0 {
				t.Errorf("latencies not recorded: %+v", res)
			}
		})
	}

	t.Run("duration", func(t *testing.T) {
		res := c.Run(context.Background(), Load{Cases: Cases(), Concurrency: 2, Duration: 100 * time.Millisecond})
		if res.Errors != 0 || res.Requests == 0 {
			t.Fatalf("%d ok, %d errors (%v)", res.Requests, res.Errors, res.ErrorKinds)
		}
	})

	// New turns are numbered across runs, as a warm-up and the measured
	// slices are: the numbers go on, so none comes twice.
	t.Run("new turns", func(t *testing.T) {
		c.NewTurns = true
		defer func() { c.NewTurns = false }()
		cs, err := SelectCases([]string{"openai-openai"})
		if err != nil {
			t.Fatal(err)
		}
		for run := 1; run <= 2; run++ {
			res := c.Run(context.Background(), Load{Cases: cs, Concurrency: 3, Requests: 30})
			if res.Errors != 0 {
				t.Fatalf("%d errors (%v)", res.Errors, res.ErrorKinds)
			}
			if got := c.turns.Load(); got != uint64(30*run) {
				t.Fatalf("after run %d, %d turns numbered, want %d", run, got, 30*run)
			}
		}
	})
}

// TestNewTurns: with new turns, each request's body stays valid JSON of
// the length its content-length says, its last message differs from
// every other request's, and the rest of the body does not change.
func TestNewTurns(t *testing.T) {
	for _, c := range Cases() {
		t.Run(c.Name, func(t *testing.T) {
			s := newScript(c, "", true)
			body := s.reqBody.GetRequestBody().GetBody()
			var length string
			for _, h := range s.reqHeaders.GetRequestHeaders().GetHeaders().GetHeaders() {
				if h.GetKey() == "content-length" {
					length = string(h.GetRawValue())
				}
			}
			if length != strconv.Itoa(len(body)) {
				t.Fatalf("content-length %s for a %d-byte body", length, len(body))
			}
			seen := map[string]bool{}
			var history string
			for _, n := range []uint64{0, 1, 2, 10, 1 << 31, 1<<40 | 7, 1<<64 - 1} {
				s.setTurn(n)
				if !json.Valid(body) {
					t.Fatalf("turn %d: body is not JSON: %s", n, body)
				}
				msgs := gjson.GetBytes(body, "messages").Array()
				last := msgs[len(msgs)-1].Get("content").Str
				if seen[last] {
					t.Fatalf("turn %d repeats a last message", n)
				}
				seen[last] = true
				h := gjson.GetBytes(body, "messages.#.content|@pretty").Raw
				h = h[:strings.LastIndex(h, " turn ")]
				if history != "" && h != history {
					t.Fatalf("the rest of the body changed")
				}
				history = h
			}
		})
	}
}

// TestFirstMessageCarriesWhatSluiceReads holds the driver's attributes to
// the names Sluice reads them by: misnamed, they would still cost their
// bytes, but the connection Sluice reads would be empty and the bench
// would not run the path a real Envoy's attributes take.
func TestFirstMessageCarriesWhatSluiceReads(t *testing.T) {
	s := newScript(Cases()[0], "", false)
	c := identity.ConnectionFrom(s.reqHeaders.GetAttributes())
	if c.SourceAddress == "" || c.RouteName == "" {
		t.Errorf("the first message's attributes read as %+v; want a source address and a route name", c)
	}
	for _, m := range append([]*extprocv3.ProcessingRequest{s.reqHeaders, s.reqBody, s.respHeaders}, s.chunks...) {
		if m.GetMetadataContext() == nil {
			t.Errorf("a %T without metadata_context; Envoy sends one with every message", m.GetRequest())
		}
	}
}
