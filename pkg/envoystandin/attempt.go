package envoystandin

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"
)

// Why an attempt got no response (AttemptRecord.Failure).
const (
	failureConnect       = "connection_failure"
	failureReset         = "reset"
	failurePerTryTimeout = "per_try_timeout"
	failureTimeout       = "timeout" // the route's timeout: never retried
)

var (
	errPerTryTimeout = errors.New("per_try_timeout")
	errDiscarded     = errors.New("attempt discarded by the router")
)

// attempt is one try of the router at a cluster. A cluster with upstream
// filters gets a fresh filter chain for every attempt, so its ext_proc
// filter opens a new stream each time.
type attempt struct {
	x         *exchange
	up        *upstream
	ext       *extProcFilter // nil without an upstream ext_proc filter
	req, resp direction
	ctx       context.Context
	cancel    context.CancelCauseFunc
	perTry    *time.Timer
	broke     atomic.Bool // the cluster's response broke while an upstream filter read it
	rec       AttemptRecord
}

// attemptResult is what the router learns from an attempt: a response as
// the upstream filters passed it on, a failure with no response, or an
// error that ends the request (an upstream filter's local reply, a reset).
type attemptResult struct {
	resp    *upstreamResponse
	failure string
	err     error
}

// newAttempt starts attempt n. With previous_priorities, each retry moves
// to the next priority: with an aggregate cluster, the next member, back to
// the first once all were tried. Without it, every attempt goes to the
// first member, which is healthy in the stand-in.
func (x *exchange) newAttempt(ctx context.Context, r *route, n int) *attempt {
	cluster := x.p.cfg.clusters[r.cluster]
	name := cluster.name
	if m := cluster.members; m != nil {
		name = m[0]
		if r.retry != nil && r.retry.previousPriorities {
			name = m[n%len(m)]
		}
	}
	a := &attempt{x: x, up: x.p.upstreams[name], rec: AttemptRecord{Cluster: name}}
	a.ctx, a.cancel = context.WithCancelCause(ctx)
	if ep := x.p.cfg.clusters[name].extProc; ep != nil {
		a.ext = newExtProcFilter(x, ep, &a.rec.Counters, &a.req, &a.resp)
		a.ext.upstream, a.ext.abort = true, a.ctx.Done()
	}
	x.mu.Lock()
	x.attempts = append(x.attempts, a)
	x.mu.Unlock()
	x.rec.Cluster = name
	return a
}

// run sends the request through the cluster's upstream filters to one of
// its endpoints, and the response back through the filters. h is the
// router's request header map, shared by all attempts as in Envoy.
func (a *attempt) run(r *route, h *headerMap, body bodySource) attemptResult {
	ep := a.up.pick()
	// Envoy rewrites the host when the connection is ready, which may be
	// before or after the upstream filters saw the headers.
	if r.autoHost && ep.hostname != "" {
		h.set(":authority", ep.hostname)
	}
	h.set(":scheme", a.up.scheme())
	a.req = direction{request: true, hdr: h, held: true}
	if a.ext != nil {
		var err error
		if body, err = a.ext.processRequest(body); err != nil {
			return a.filterFailed(err)
		}
		a.req.held = false
	}
	req, err := a.up.newRequest(a.ctx, h, ep, body)
	if err != nil {
		return attemptResult{err: &localReply{status: http.StatusBadRequest, details: "invalid_upstream_request: " + err.Error()}}
	}
	a.rec.Upstream = recordUpstream(req, h)
	a.x.rec.Upstream = a.rec.Upstream
	if r.retry != nil && r.retry.perTryTimeout > 0 {
		a.perTry = time.AfterFunc(r.retry.perTryTimeout, func() { a.cancel(errPerTryTimeout) })
	}
	resp, err := a.up.transport.RoundTrip(req)
	bodyErr := errors.Join(a.x.awaitRequestBody(), a.ext.awaitRequestBody())
	if bodyErr != nil {
		if resp != nil {
			_ = resp.Body.Close() // the request failed; the response is not used
		}
		return a.filterFailed(bodyErr)
	}
	if err != nil {
		return a.noResponse(err)
	}
	return a.response(resp)
}

// response runs the cluster's upstream filters on a response. As in Envoy,
// the router sees the headers only once the filters pass them on: for a
// BUFFERED body, after the body was processed too.
func (a *attempt) response(resp *http.Response) attemptResult {
	up := &upstreamResponse{hdr: &headerMap{}, body: &watchedBody{ReadCloser: resp.Body, broke: &a.broke}}
	up.hdr.set(":status", strconv.Itoa(resp.StatusCode))
	up.hdr.fromHTTP(resp.Header)
	up.noBody = resp.ContentLength == 0 || a.x.r.Method == http.MethodHead ||
		resp.StatusCode == http.StatusNoContent || resp.StatusCode == http.StatusNotModified
	if a.ext != nil {
		out, err := a.ext.processResponse(up)
		if err != nil {
			_ = up.body.Close() // the filter failed; the response is not used
			return a.filterFailed(err)
		}
		up = out
	}
	if s, err := strconv.Atoi(mustGet(up.hdr, ":status")); err == nil {
		a.rec.Status = s
	}
	if a.perTry != nil && !a.perTry.Stop() {
		// The per-try timeout fired first: Envoy has reset the attempt.
		_ = up.body.Close()
		return a.failed(failurePerTryTimeout)
	}
	return attemptResult{resp: up}
}

// filterFailed sorts out an upstream filter's failure: the attempt may have
// been cut short under it (a timeout, the cluster's response breaking),
// which the router may retry; otherwise it ends the request.
func (a *attempt) filterFailed(err error) attemptResult {
	switch cause := context.Cause(a.ctx); {
	case a.x.ctx.Err() != nil:
		return attemptResult{err: &localReply{reset: true, details: "downstream_remote_disconnect"}}
	case errors.Is(cause, errPerTryTimeout):
		return a.failed(failurePerTryTimeout)
	case errors.Is(cause, context.DeadlineExceeded):
		return a.failed(failureTimeout)
	case a.broke.Load():
		return a.failed(failureReset)
	}
	return attemptResult{err: err}
}

// noResponse classifies a request that got no response.
func (a *attempt) noResponse(err error) attemptResult {
	var op *net.OpError
	var cert *tls.CertificateVerificationError
	switch {
	case a.x.ctx.Err() != nil:
		return attemptResult{err: &localReply{reset: true, details: "downstream_remote_disconnect"}}
	case errors.Is(context.Cause(a.ctx), errPerTryTimeout):
		return a.failed(failurePerTryTimeout)
	case errors.Is(context.Cause(a.ctx), context.DeadlineExceeded):
		return a.failed(failureTimeout)
	case errors.As(err, &op) && op.Op == "dial", errors.As(err, &cert):
		return a.failed(failureConnect)
	}
	return a.failed(failureReset)
}

func (a *attempt) failed(failure string) attemptResult {
	a.rec.Failure, a.rec.Status = failure, 0
	return attemptResult{failure: failure}
}

// discard drops an attempt the router retries: its filters' streams are
// cancelled at once, and its connection is reset.
func (a *attempt) discard() {
	if a.ext != nil {
		a.ext.cancel()
	}
	a.cancel(errDiscarded)
}

// end releases the attempt when the request is over.
func (a *attempt) end() {
	if a.perTry != nil {
		a.perTry.Stop()
	}
	if a.ext != nil {
		a.ext.close()
	}
	a.cancel(nil)
}

// watchedBody notes when the cluster's response breaks, so that a failure
// while an upstream filter reads it counts as an upstream reset.
type watchedBody struct {
	io.ReadCloser
	broke *atomic.Bool
}

func (b *watchedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		b.broke.Store(true)
	}
	return n, err
}

func mustGet(h *headerMap, key string) string {
	v, _ := h.get(key)
	return v
}

// recordUpstream captures a request as sent, for RequestRecord.
func recordUpstream(req *http.Request, h *headerMap) *UpstreamRequest {
	hdr := req.Header.Clone()
	if cl, ok := h.get("content-length"); ok {
		hdr.Set("Content-Length", cl)
	}
	if ua := hdr.Get("User-Agent"); ua == "" {
		hdr.Del("User-Agent")
	}
	return &UpstreamRequest{
		Method:    req.Method,
		Path:      req.URL.RequestURI(),
		Authority: req.Host,
		Scheme:    req.URL.Scheme,
		Header:    hdr,
	}
}
