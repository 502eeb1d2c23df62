package envoystandin

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"time"
)

// forward is the router filter: it answers itself when no route or a
// direct_response matched, and otherwise sends the request to the route's
// cluster, trying again as the route's retry_policy allows.
func (x *exchange) forward(body bodySource) (*upstreamResponse, error) {
	r := x.route
	x.req.held = false
	x.rec.Route = x.routeName()
	if r == nil || r.direct != nil {
		return x.answerLocally(body)
	}
	// The router's request headers. Upstream filters change them in place,
	// so a retry starts from what the previous attempt's filters left.
	h := x.req.hdr.clone()
	applyHeadersToAdd(h, r.requestAdd, r.requestRemove)
	if r.hostRewrite != "" {
		h.set(":authority", r.hostRewrite)
	}
	ctx := x.ctx
	if r.timeout > 0 {
		ctx, x.upstreamCancel = context.WithTimeout(ctx, r.timeout)
	}
	bodies, err := x.replayBody(body, r.retry != nil && r.retry.numRetries > 0)
	if err != nil {
		return nil, err
	}
	for n := 0; ; n++ {
		a := x.newAttempt(ctx, r, n)
		res := a.run(r, h, bodies.next())
		last := r.retry == nil || n >= r.retry.numRetries || !bodies.again()
		switch {
		case res.err != nil:
			return x.endedByFilter(res.err)
		case res.failure != "":
			if last || !r.retry.retriesFailure(res.failure) {
				return x.failureReply(res.failure, n > 0), nil
			}
		case !last && r.retry.retriesStatus(a.rec.Status):
			_ = res.resp.body.Close() // the attempt is dropped
		default:
			applyHeadersToAdd(res.resp.hdr, r.responseAdd, r.responseRemove)
			return res.resp, nil
		}
		a.discard()
		if err := backOff(ctx, r.retry, n+1); err != nil {
			if x.ctx.Err() != nil {
				return nil, &localReply{reset: true, details: "downstream_remote_disconnect"}
			}
			return x.failureReply(failureTimeout, true), nil
		}
	}
}

// answerLocally is the router answering itself; the request body is read
// and dropped.
func (x *exchange) answerLocally(body bodySource) (*upstreamResponse, error) {
	if body.r != nil {
		_, _ = io.Copy(io.Discard, body.r) // errors surface from awaitRequestBody
	}
	if err := x.awaitRequestBody(); err != nil {
		return nil, err
	}
	if x.route == nil {
		x.rec.LocalReply = "route_not_found"
		return routerReply(http.StatusNotFound, nil, nil), nil
	}
	x.rec.LocalReply = "direct_response"
	return routerReply(x.route.direct.status, x.route.direct.body, x.route), nil
}

// endedByFilter handles a local reply from an upstream filter: it ends the
// request, with no further attempt, and goes back through the connection
// manager's filters like any router reply.
func (x *exchange) endedByFilter(err error) (*upstreamResponse, error) {
	var lr *localReply
	if !errors.As(err, &lr) || lr.reset {
		return nil, err
	}
	x.rec.LocalReply = lr.details
	return localResponse(lr), nil
}

// failureReply is Envoy's local reply for a request that got no response.
func (x *exchange) failureReply(failure string, retried bool) *upstreamResponse {
	x.p.log.Debug("Envoy stand-in upstream failure", "cluster", x.rec.Cluster, "failure", failure)
	switch failure {
	case failurePerTryTimeout:
		x.rec.LocalReply = "upstream_per_try_timeout"
		return routerReply(http.StatusGatewayTimeout, []byte("upstream request timeout"), nil)
	case failureTimeout:
		x.rec.LocalReply = "upstream_response_timeout"
		return routerReply(http.StatusGatewayTimeout, []byte("upstream request timeout"), nil)
	}
	reason, details := "connection termination", "connection_termination"
	if failure == failureConnect {
		reason, details = "connection failure", "connection_failure"
	}
	x.rec.LocalReply = "upstream_reset_before_response_started{" + details + "}"
	msg := "upstream connect error or disconnect/reset before headers. "
	if retried {
		msg += "retried and the latest "
	}
	return routerReply(http.StatusServiceUnavailable, []byte(msg+"reset reason: "+reason), nil)
}

// backOff waits Envoy's jittered exponential back-off before retry n
// (from 1): a random time below base*(2^n-1), at most max.
func backOff(ctx context.Context, p *retryPolicy, n int) error {
	ceiling := p.backOffBase * time.Duration(1<<min(n, 16)-1)
	wait := time.Duration(rand.Int64N(int64(max(ceiling, 1)))) //nolint:gosec // jitter, not a secret
	t := time.NewTimer(min(wait, p.backOffMax))
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// retriesStatus reports whether the policy retries a response with status.
func (p *retryPolicy) retriesStatus(status int) bool {
	switch {
	case p.on&retryOn5xx != 0 && status >= 500:
		return true
	case p.on&retryOnGatewayError != 0 && status >= 502 && status <= 504:
		return true
	case p.on&retryOnStatusCodes != 0:
		for _, c := range p.statusCodes {
			if c == status {
				return true
			}
		}
	}
	return false
}

// retriesFailure reports whether the policy retries an attempt that got no
// response. As in Envoy, 5xx, gateway-error and reset cover every reset,
// per-try timeouts included; connect-failure covers connection failures.
func (p *retryPolicy) retriesFailure(failure string) bool {
	switch failure {
	case failureTimeout:
		return false // the route's own timeout ends the request
	case failureConnect:
		if p.on&retryOnConnectFailure != 0 {
			return true
		}
	}
	return p.on&(retryOn5xx|retryOnGatewayError|retryOnReset) != 0
}

// replay gives each attempt the request body as it left the connection
// manager's filters. With retries possible Envoy buffers it, up to the
// buffer limit; a larger body is sent once and not retried.
type replay struct {
	once     bodySource
	data     []byte
	buffered bool
}

func (x *exchange) replayBody(body bodySource, retries bool) (*replay, error) {
	if !retries || body.r == nil {
		return &replay{once: body, buffered: body.r == nil}, nil
	}
	limit := x.p.listener.bufferLimit
	data, err := io.ReadAll(io.LimitReader(body.r, int64(limit)+1))
	if err != nil {
		if awaitErr := x.awaitRequestBody(); awaitErr != nil {
			return nil, awaitErr
		}
		return nil, &localReply{reset: true, details: "body_read_error"}
	}
	if len(data) > limit {
		x.p.log.Debug("Envoy stand-in: request body over the buffer limit, retries disabled", "request_id", x.rec.RequestID)
		return &replay{once: bodySource{r: io.MultiReader(bytes.NewReader(data), body.r), length: -1}}, nil
	}
	if err := x.awaitRequestBody(); err != nil {
		return nil, err
	}
	return &replay{data: data, buffered: true}, nil
}

func (r *replay) next() bodySource {
	if !r.buffered {
		b := r.once
		r.once = bodySource{}
		return b
	}
	if len(r.data) == 0 {
		return bodySource{}
	}
	return bodySource{r: bytes.NewReader(r.data), length: int64(len(r.data))}
}

// again reports whether the body can be sent once more.
func (r *replay) again() bool { return r.buffered }
