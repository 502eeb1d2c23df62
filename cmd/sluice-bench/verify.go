package main

import (
	"bytes"
	"context"
	"fmt"

	"github.com/sluice-gw/sluice/pkg/loadgen"
)

// verify runs one request of each case through Sluice and checks that it
// really routed and translated, so a benchmark can never be measuring a
// path that quietly does nothing.
func verify(ctx context.Context, sl *target, cases []*loadgen.Case) error {
	for _, c := range cases {
		tr, err := sl.client.Check(ctx, c)
		if err != nil {
			return fmt.Errorf("%s: sluice failed the check request: %w", c.Name, err)
		}
		if err := checkTrace(c, tr); err != nil {
			return fmt.Errorf("%s: sluice answered the check request wrongly: %w", c.Name, err)
		}
	}
	return nil
}

func checkTrace(c *loadgen.Case, tr *loadgen.Trace) error {
	if len(tr.Responses) < 4 {
		return fmt.Errorf("only %d responses", len(tr.Responses))
	}
	rb := tr.Responses[1].GetRequestBody().GetResponse()
	backend := ""
	for _, h := range rb.GetHeaderMutation().GetSetHeaders() {
		if h.GetHeader().GetKey() == "x-sluice-backend" {
			backend = string(h.GetHeader().GetRawValue())
		}
	}
	if backend != c.Backend {
		return fmt.Errorf("request body answer sets x-sluice-backend %q, want %q", backend, c.Backend)
	}
	// A body Sluice did not need to change is left to Envoy; a translated
	// one must come back.
	if !rb.GetClearRouteCache() || (c.Backend != "openai" && rb.GetBodyMutation().GetBody() == nil) {
		return fmt.Errorf("request body answer does not translate the body and clear the route cache")
	}
	if c.Stream != tr.Streamed {
		return fmt.Errorf("response body streamed=%v, want %v", tr.Streamed, c.Stream)
	}
	// The client gets what Envoy forwards: an answer's replacement body,
	// or the chunk it sent when the answer left the body alone.
	sent := c.ResponseChunks
	if !tr.Streamed {
		sent = [][]byte{c.ResponseBody()}
	}
	var out []byte
	for i, r := range tr.Responses[3:] {
		if bm := r.GetResponseBody().GetResponse().GetBodyMutation(); bm != nil {
			out = append(out, bm.GetBody()...)
		} else if i < len(sent) {
			out = append(out, sent[i]...)
		}
	}
	want := [][]byte{[]byte(`"chat.completion"`), []byte(`"total_tokens"`)}
	if c.Stream {
		want = [][]byte{[]byte(`"chat.completion.chunk"`), []byte("data: [DONE]\n\n")}
	}
	for _, w := range want {
		if !bytes.Contains(out, w) {
			return fmt.Errorf("client-bound body lacks %s: %.300s", w, out)
		}
	}
	return nil
}
