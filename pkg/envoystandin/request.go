package envoystandin

import (
	"io"
	"net/http"
)

// bodySource is the request body on its way upstream.
type bodySource struct {
	r      io.Reader // nil: no body
	length int64     // -1: unknown
}

// requestPhase runs the connection manager's filters on the request headers
// and body, and returns the body to forward.
func (x *exchange) requestPhase() (bodySource, error) {
	body := bodySource{length: 0}
	if x.r.Body != nil && x.r.Body != http.NoBody && x.r.ContentLength != 0 {
		body = bodySource{r: x.r.Body, length: x.r.ContentLength}
	}
	if x.ext == nil {
		return body, nil
	}
	return x.ext.processRequest(body)
}

// awaitRequestBody waits for a STREAMED request body to be fully processed
// by the connection manager's filter.
func (x *exchange) awaitRequestBody() error { return x.ext.awaitRequestBody() }
