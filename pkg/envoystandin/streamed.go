package envoystandin

import (
	"bytes"
	"context"
	"errors"
	"io"

	extprocv3 "github.com/envoyproxy/go-control-plane/envoy/service/ext_proc/v3"
)

// chunkSize bounds one STREAMED body message; like Envoy, a chunk is
// whatever one read returns, so SSE events go out as they arrive.
const chunkSize = 16 << 10

type chunk struct {
	data []byte
	eos  bool
	sent bool // sent to ext_proc, so an answer is due
}

// streamBody drives STREAMED mode: each chunk is sent as it is read, without
// waiting; answers come back one per chunk, in order, and each processed
// chunk goes to sink at once. Header mutations in body answers are ignored,
// as the headers have already gone.
func (f *extProcFilter) streamBody(d *direction, src io.Reader, sink func([]byte) error) error {
	ctx, cancel := context.WithCancel(f.x.ctx)
	defer cancel()
	queue := make(chan chunk, 64)
	readErr := make(chan error, 1)
	go f.readChunks(ctx, d, src, queue, readErr)
	for c := range queue {
		out := c.data
		if c.sent {
			resp, err := f.stream.wait(d.bodyKind())
			if err != nil {
				return err
			}
			if resp != nil {
				out = f.chunkResult(d, resp, c.data)
			}
		}
		if len(out) == 0 && !c.eos {
			continue
		}
		if err := sink(out); err != nil {
			return &localReply{reset: true, details: "stream_write_error"}
		}
	}
	select {
	case err := <-readErr:
		return &localReply{reset: true, details: "body_read_error: " + err.Error()}
	default:
		return nil
	}
}

func (f *extProcFilter) readChunks(ctx context.Context, d *direction, src io.Reader, queue chan<- chunk, readErr chan<- error) {
	defer close(queue)
	buf := make([]byte, chunkSize)
	for {
		n, err := src.Read(buf)
		eos := errors.Is(err, io.EOF)
		if n > 0 || eos {
			c := chunk{data: bytes.Clone(buf[:n]), eos: eos}
			if f.active() {
				f.stream.send(f.bodyMessage(d, c.data, eos))
				c.sent = true
			}
			select {
			case queue <- c:
			case <-ctx.Done():
				return
			}
		}
		if err != nil {
			if !eos {
				readErr <- err
			}
			return
		}
	}
}

func (f *extProcFilter) chunkResult(d *direction, resp *extprocv3.ProcessingResponse, data []byte) []byte {
	cr := resp.GetRequestBody().GetResponse()
	if !d.request {
		cr = resp.GetResponseBody().GetResponse()
	}
	if cr.GetClearRouteCache() {
		f.count(func(c *Counters) { c.ClearRouteCacheIgnored++ })
	}
	out, _ := mutateBody(cr.GetBodyMutation(), data)
	return out
}
