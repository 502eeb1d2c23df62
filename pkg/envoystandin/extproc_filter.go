package envoystandin

import (
	"bytes"
	"errors"
	"io"

	extprocfilterv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/ext_proc/v3"
	extprocv3 "github.com/envoyproxy/go-control-plane/envoy/service/ext_proc/v3"
)

// extProcFilter is one ext_proc filter on one request: the one in the
// connection manager's filter chain, or the one in a cluster's upstream
// filter chain, which Envoy creates afresh for every attempt.
type extProcFilter struct {
	x        *exchange
	cfg      *extProcConfig
	client   extprocv3.ExternalProcessorClient
	stream   *procStream
	mode     procMode
	upstream bool            // clear_route_cache is ignored in the upstream filter chain
	abort    <-chan struct{} // closed when the router gives up on the attempt; nil downstream
	counters *Counters       // guarded by x.mu

	req, resp *direction

	reqBodyDone chan struct{} // closed when a STREAMED request body is through
	reqBodyErr  error
}

func newExtProcFilter(x *exchange, cfg *extProcConfig, counters *Counters, req, resp *direction) *extProcFilter {
	f := &extProcFilter{x: x, cfg: cfg, client: x.p.procClients[cfg], mode: cfg.mode, counters: counters, req: req, resp: resp}
	f.stream = newProcStream(f)
	return f
}

// active reports whether the filter still takes part in the request.
func (f *extProcFilter) active() bool { return f.stream.active() }

func (f *extProcFilter) count(fn func(*Counters)) {
	f.x.mu.Lock()
	defer f.x.mu.Unlock()
	fn(f.counters)
}

// processRequest runs the filter on the request headers and body, and
// returns the body it passes on.
func (f *extProcFilter) processRequest(body bodySource) (bodySource, error) {
	hasBody := body.r != nil
	if f.active() && f.mode.reqHeaders {
		replaced, err := f.headersPhase(f.req, !hasBody)
		if err != nil {
			return body, err
		}
		if replaced != nil {
			return bodySource{r: bytes.NewReader(*replaced), length: -1}, nil
		}
	}
	if !hasBody || !f.active() {
		return body, nil
	}
	f.dropContentLength(f.req, f.mode.reqHeaders, f.mode.reqBody)
	switch f.mode.reqBody {
	case extprocfilterv3.ProcessingMode_BUFFERED, extprocfilterv3.ProcessingMode_BUFFERED_PARTIAL:
		partial := f.mode.reqBody == extprocfilterv3.ProcessingMode_BUFFERED_PARTIAL
		data, more, err := f.bufferedBody(f.req, body.r, partial)
		if err != nil {
			return body, err
		}
		if more {
			return bodySource{r: io.MultiReader(bytes.NewReader(data), body.r), length: -1}, nil
		}
		return bodySource{r: bytes.NewReader(data), length: -1}, nil
	case extprocfilterv3.ProcessingMode_STREAMED:
		return f.streamRequestBody(body.r), nil
	}
	return body, nil
}

// streamRequestBody processes the request body chunk by chunk while it is
// forwarded. The headers go on first, so body responses can no longer
// change them.
func (f *extProcFilter) streamRequestBody(src io.Reader) bodySource {
	f.req.held = false
	pr, pw := io.Pipe()
	f.reqBodyDone = make(chan struct{})
	go func() {
		defer close(f.reqBodyDone)
		f.reqBodyErr = f.streamBody(f.req, src, func(b []byte) error {
			_, err := pw.Write(b)
			return err
		})
		pw.CloseWithError(f.reqBodyErr) // nil closes with io.EOF
	}()
	return bodySource{r: pr, length: -1}
}

// awaitRequestBody waits for a STREAMED request body to be fully processed,
// so that the response phases have the stream to themselves.
func (f *extProcFilter) awaitRequestBody() error {
	if f == nil || f.reqBodyDone == nil {
		return nil
	}
	select {
	case <-f.reqBodyDone:
	case <-f.x.ctx.Done():
		return &localReply{reset: true, details: "downstream_remote_disconnect"}
	}
	return f.reqBodyErr
}

// processResponse runs the filter on a response and returns the response as
// the filter passes it on. A STREAMED body is processed while it is read
// from the result; a BUFFERED one has been processed when this returns.
func (f *extProcFilter) processResponse(up *upstreamResponse) (*upstreamResponse, error) {
	*f.resp = direction{hdr: up.hdr, held: true}
	hasBody := !up.noBody
	if f.active() && f.mode.respHeaders {
		replaced, err := f.headersPhase(f.resp, !hasBody)
		if err != nil {
			return nil, err
		}
		if replaced != nil {
			return &upstreamResponse{hdr: up.hdr, body: withCloser(bytes.NewReader(*replaced), up.body)}, nil
		}
	}
	if !hasBody || !f.active() {
		return up, nil
	}
	f.dropContentLength(f.resp, f.mode.respHeaders, f.mode.respBody)
	switch f.mode.respBody {
	case extprocfilterv3.ProcessingMode_BUFFERED, extprocfilterv3.ProcessingMode_BUFFERED_PARTIAL:
		partial := f.mode.respBody == extprocfilterv3.ProcessingMode_BUFFERED_PARTIAL
		data, more, err := f.bufferedBody(f.resp, up.body, partial)
		if err != nil {
			return nil, err
		}
		var rest io.Reader = bytes.NewReader(data)
		if more {
			rest = io.MultiReader(rest, up.body)
		}
		return &upstreamResponse{hdr: up.hdr, body: withCloser(rest, up.body)}, nil
	case extprocfilterv3.ProcessingMode_STREAMED:
		f.resp.held = false
		return &upstreamResponse{hdr: up.hdr, body: f.streamResponseBody(up.body)}, nil
	}
	return up, nil
}

// streamResponseBody processes the response body chunk by chunk as the
// result is read; an error ends the result with that error.
func (f *extProcFilter) streamResponseBody(src io.ReadCloser) io.ReadCloser {
	pr, pw := io.Pipe()
	go func() {
		err := f.streamBody(f.resp, src, func(b []byte) error {
			_, err := pw.Write(b)
			return err
		})
		pw.CloseWithError(err) // nil closes with io.EOF
	}()
	return &pipeBody{pr: pr, src: src}
}

// pipeBody is a processed body; closing it drops the source too.
type pipeBody struct {
	pr  *io.PipeReader
	src io.Closer
}

func (b *pipeBody) Read(p []byte) (int, error) { return b.pr.Read(p) }

func (b *pipeBody) Close() error {
	return errors.Join(b.pr.Close(), b.src.Close())
}

type readCloser struct {
	io.Reader
	io.Closer
}

// withCloser reads r and closes c.
func withCloser(r io.Reader, c io.Closer) io.ReadCloser { return readCloser{r, c} }

// close ends the filter's stream at the end of the request.
func (f *extProcFilter) close() { f.stream.close() }

// cancel drops the filter's stream at once: the router gave up on its attempt.
func (f *extProcFilter) cancel() { f.stream.finish() }
