package envoystandin

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	extprocfilterv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/ext_proc/v3"
)

// upstreamResponse is what the router hands back: a cluster's response, or
// a reply of its own (no route, direct_response, upstream failure). Both go
// through ext_proc's response phases, as in Envoy.
type upstreamResponse struct {
	hdr    *headerMap // with :status
	body   io.ReadCloser
	noBody bool
}

// responsePhase runs ext_proc on the response and writes it downstream.
func (x *exchange) responsePhase(up *upstreamResponse) error {
	x.resp = direction{hdr: up.hdr, held: true}
	hasBody := !up.noBody
	if x.processing() && x.mode.respHeaders {
		replaced, err := x.headersPhase(&x.resp, !hasBody)
		if err != nil {
			return err
		}
		if replaced != nil {
			return x.writeResponse(*replaced)
		}
	}
	if !hasBody || !x.processing() {
		return x.passThrough(up.body, hasBody)
	}
	x.dropContentLength(&x.resp, x.mode.respHeaders, x.mode.respBody)
	switch x.mode.respBody {
	case extprocfilterv3.ProcessingMode_BUFFERED, extprocfilterv3.ProcessingMode_BUFFERED_PARTIAL:
		partial := x.mode.respBody == extprocfilterv3.ProcessingMode_BUFFERED_PARTIAL
		data, more, err := x.bufferedBody(&x.resp, up.body, partial)
		if err != nil {
			return err
		}
		if !more {
			return x.writeResponse(data)
		}
		x.writeHeaders(x.resp.hdr)
		x.writeBody(data)
		return x.passThrough(up.body, true)
	case extprocfilterv3.ProcessingMode_STREAMED:
		x.writeHeaders(x.resp.hdr)
		return x.streamBody(&x.resp, up.body, func(b []byte) error {
			x.writeBody(b)
			return nil
		})
	}
	return x.passThrough(up.body, hasBody)
}

func (x *exchange) writeResponse(body []byte) error {
	x.writeHeaders(x.resp.hdr)
	x.writeBody(body)
	return nil
}

// passThrough forwards the rest of the body unprocessed, flushing as it goes.
func (x *exchange) passThrough(body io.Reader, hasBody bool) error {
	if !x.headersSent {
		x.writeHeaders(x.resp.hdr)
	}
	if !hasBody {
		return nil
	}
	buf := make([]byte, chunkSize)
	for {
		n, err := body.Read(buf)
		if n > 0 {
			x.writeBody(buf[:n])
		}
		if errors.Is(err, io.EOF) {
			return nil
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
