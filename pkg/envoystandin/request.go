package envoystandin

import (
	"bytes"
	"io"
	"net/http"

	extprocfilterv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/ext_proc/v3"
)

// bodySource is the request body on its way upstream.
type bodySource struct {
	r      io.Reader // nil: no body
	length int64     // -1: unknown
}

// requestPhase runs ext_proc on the request headers and body, and returns
// the body to forward.
func (x *exchange) requestPhase() (bodySource, error) {
	hasBody := x.r.Body != nil && x.r.Body != http.NoBody && x.r.ContentLength != 0
	body := bodySource{length: 0}
	if hasBody {
		body = bodySource{r: x.r.Body, length: x.r.ContentLength}
	}
	if x.processing() && x.mode.reqHeaders {
		replaced, err := x.headersPhase(&x.req, !hasBody)
		if err != nil {
			return body, err
		}
		if replaced != nil {
			return bodySource{r: bytes.NewReader(*replaced), length: -1}, nil
		}
	}
	if !hasBody || !x.processing() {
		return body, nil
	}
	x.dropContentLength(&x.req, x.mode.reqHeaders, x.mode.reqBody)
	switch x.mode.reqBody {
	case extprocfilterv3.ProcessingMode_BUFFERED, extprocfilterv3.ProcessingMode_BUFFERED_PARTIAL:
		partial := x.mode.reqBody == extprocfilterv3.ProcessingMode_BUFFERED_PARTIAL
		data, more, err := x.bufferedBody(&x.req, x.r.Body, partial)
		if err != nil {
			return body, err
		}
		if more {
			return bodySource{r: io.MultiReader(bytes.NewReader(data), x.r.Body), length: -1}, nil
		}
		return bodySource{r: bytes.NewReader(data), length: -1}, nil
	case extprocfilterv3.ProcessingMode_STREAMED:
		return x.streamRequestBody(), nil
	}
	return body, nil
}

// streamRequestBody processes the request body chunk by chunk while it is
// forwarded. The headers go upstream first, so body responses can no longer
// change them.
func (x *exchange) streamRequestBody() bodySource {
	x.req.held = false
	pr, pw := io.Pipe()
	x.reqBodyDone = make(chan struct{})
	go func() {
		defer close(x.reqBodyDone)
		err := x.streamBody(&x.req, x.r.Body, func(b []byte) error {
			_, err := pw.Write(b)
			return err
		})
		x.reqBodyErr = err
		if err != nil {
			pw.CloseWithError(err)
			return
		}
		_ = pw.Close() // Close on a pipe writer always returns nil
	}()
	return bodySource{r: pr, length: -1}
}

// awaitRequestBody waits for a STREAMED request body to be fully processed,
// so that the response phase has the stream to itself.
func (x *exchange) awaitRequestBody() error {
	if x.reqBodyDone == nil {
		return nil
	}
	select {
	case <-x.reqBodyDone:
	case <-x.ctx.Done():
		return &localReply{reset: true, details: "downstream_remote_disconnect"}
	}
	return x.reqBodyErr
}
