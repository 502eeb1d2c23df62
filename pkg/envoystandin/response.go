package envoystandin

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// upstreamResponse is what the router hands back: a cluster's response, or
// a reply of its own (no route, direct_response, upstream failure). Both go
// through ext_proc's response phases, as in Envoy.
type upstreamResponse struct {
	hdr    *headerMap // with :status
	body   io.ReadCloser
	noBody bool
}

// responsePhase runs the connection manager's filters on the response and
// writes it downstream.
func (x *exchange) responsePhase(up *upstreamResponse) error {
	x.resp = direction{hdr: up.hdr, held: true}
	if x.ext != nil {
		out, err := x.ext.processResponse(up)
		if err != nil {
			return err
		}
		defer out.body.Close()
		up = out
	}
	x.writeHeaders(x.resp.hdr)
	if up.noBody {
		return nil
	}
	return x.copyBody(up.body)
}

// copyBody sends the body downstream as it is read, flushing as it goes.
// A filter's failure ends the stream with that failure; anything else that
// breaks the body is an upstream reset.
func (x *exchange) copyBody(body io.Reader) error {
	buf := make([]byte, chunkSize)
	for {
		n, err := body.Read(buf)
		if n > 0 {
			x.writeBody(buf[:n])
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		var lr *localReply
		if errors.As(err, &lr) {
			return lr
		}
		if err != nil {
			return &localReply{reset: true, details: "upstream_reset_after_response_started"}
		}
	}
}

// writeHeaders sends the response headers downstream.
func (x *exchange) writeHeaders(h *headerMap) {
	status := http.StatusOK
	if s, ok := h.get(":status"); ok {
		if n, err := strconv.Atoi(s); err == nil {
			status = n
		}
	}
	out := x.w.Header()
	for _, e := range h.entries {
		if !strings.HasPrefix(e.key, ":") && !hopByHop[e.key] {
			out.Add(e.key, e.value)
		}
	}
	x.w.WriteHeader(status)
	x.headersSent = true
	x.rec.Status = status
	x.flush()
}

// writeBody sends bytes downstream at once: streamed chunks must not wait.
func (x *exchange) writeBody(b []byte) {
	if len(b) == 0 {
		return
	}
	if _, err := x.w.Write(b); err != nil {
		x.p.log.Debug("Envoy stand-in downstream write failed", "error", err)
		return
	}
	x.flush()
}

func (x *exchange) flush() {
	if err := http.NewResponseController(x.w).Flush(); err != nil {
		x.p.log.Debug("Envoy stand-in flush failed", "error", err)
	}
}

// routerReply is a response the router makes itself; Envoy's local replies
// carry content-type text/plain unless a route header says otherwise.
func routerReply(status int, body []byte, r *route) *upstreamResponse {
	h := &headerMap{}
	h.set(":status", strconv.Itoa(status))
	if r != nil {
		applyHeadersToAdd(h, r.responseAdd, r.responseRemove)
	}
	if _, ok := h.get("content-type"); !ok && len(body) > 0 {
		h.set("content-type", "text/plain")
	}
	h.set("content-length", strconv.Itoa(len(body)))
	return &upstreamResponse{hdr: h, body: io.NopCloser(bytes.NewReader(body)), noBody: len(body) == 0}
}

// localResponse turns a filter's local reply into a response the router
// passes back through the connection manager's filters.
func localResponse(lr *localReply) *upstreamResponse {
	h := lr.headers
	if h == nil {
		h = &headerMap{}
	}
	h.set(":status", strconv.Itoa(lr.status))
	if _, ok := h.get("content-type"); !ok && len(lr.body) > 0 {
		h.set("content-type", "text/plain")
	}
	h.set("content-length", strconv.Itoa(len(lr.body)))
	return &upstreamResponse{hdr: h, body: io.NopCloser(bytes.NewReader(lr.body)), noBody: len(lr.body) == 0}
}
