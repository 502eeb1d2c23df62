package envoystandin

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
)

// forward is the router filter: it answers itself when no route or a
// direct_response matched, and otherwise sends the request to the route's
// cluster.
func (x *exchange) forward(body bodySource) (*upstreamResponse, error) {
	r := x.route
	x.req.held = false
	x.rec.Route = x.routeName()
	if r == nil || r.direct != nil {
		// The router answers itself; the request body is read and dropped.
		if body.r != nil {
			_, _ = io.Copy(io.Discard, body.r) // errors surface from awaitRequestBody
		}
		if err := x.awaitRequestBody(); err != nil {
			return nil, err
		}
	}
	switch {
	case r == nil:
		x.rec.LocalReply = "route_not_found"
		return routerReply(http.StatusNotFound, nil, nil), nil
	case r.direct != nil:
		x.rec.LocalReply = "direct_response"
		return routerReply(r.direct.status, r.direct.body, r), nil
	}
	u := x.p.upstreams[r.cluster]
	x.rec.Cluster = r.cluster
	ep := u.pick()
	h := x.req.hdr.clone()
	applyHeadersToAdd(h, r.requestAdd, r.requestRemove)
	switch {
	case r.hostRewrite != "":
		h.set(":authority", r.hostRewrite)
	case r.autoHost:
		h.set(":authority", ep.hostname)
	}
	h.set(":scheme", u.scheme())
	ctx := x.ctx
	if r.timeout > 0 {
		ctx, x.upstreamCancel = context.WithTimeout(ctx, r.timeout)
	}
	req, err := u.newRequest(ctx, h, ep, body)
	if err != nil {
		return nil, &localReply{status: http.StatusBadRequest, details: "invalid_upstream_request: " + err.Error()}
	}
	x.recordUpstream(req, h)
	resp, err := u.transport.RoundTrip(req)
	if bodyErr := x.awaitRequestBody(); bodyErr != nil {
		if resp != nil {
			_ = resp.Body.Close() // the request failed; the response is not used
		}
		return nil, bodyErr
	}
	if err != nil {
		return x.upstreamFailure(ctx, err)
	}
	up := &upstreamResponse{hdr: &headerMap{}, body: resp.Body}
	up.hdr.set(":status", strconv.Itoa(resp.StatusCode))
	up.hdr.fromHTTP(resp.Header)
	up.noBody = resp.ContentLength == 0 || x.r.Method == http.MethodHead ||
		resp.StatusCode == http.StatusNoContent || resp.StatusCode == http.StatusNotModified
	applyHeadersToAdd(up.hdr, r.responseAdd, r.responseRemove)
	return up, nil
}

// upstreamFailure is Envoy's local reply for a request that got no response.
func (x *exchange) upstreamFailure(ctx context.Context, err error) (*upstreamResponse, error) {
	x.p.log.Debug("Envoy stand-in upstream failure", "cluster", x.rec.Cluster, "error", err)
	switch {
	case x.ctx.Err() != nil:
		return nil, &localReply{reset: true, details: "downstream_remote_disconnect"}
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		x.rec.LocalReply = "upstream_response_timeout"
		return routerReply(http.StatusGatewayTimeout, []byte("upstream request timeout"), nil), nil
	}
	x.rec.LocalReply = "upstream_reset_before_response_started{connection_failure}"
	return routerReply(http.StatusServiceUnavailable,
		[]byte("upstream connect error or disconnect/reset before headers. reset reason: connection failure"), nil), nil
}

func (x *exchange) recordUpstream(req *http.Request, h *headerMap) {
	hdr := req.Header.Clone()
	if cl, ok := h.get("content-length"); ok {
		hdr.Set("Content-Length", cl)
	}
	if ua := hdr.Get("User-Agent"); ua == "" {
		hdr.Del("User-Agent")
	}
	x.rec.Upstream = &UpstreamRequest{
		Method:    req.Method,
		Path:      req.URL.RequestURI(),
		Authority: req.Host,
		Scheme:    req.URL.Scheme,
		Header:    hdr,
	}
}
