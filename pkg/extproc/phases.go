package extproc

import (
	"context"
	"strconv"

	extprocv3 "github.com/envoyproxy/go-control-plane/envoy/service/ext_proc/v3"

	"github.com/sluice-gw/sluice/pkg/gwerror"
	"github.com/sluice-gw/sluice/pkg/pipeline"
)

func (st *streamState) requestHeaders(ctx context.Context, h *frame) *extprocv3.ProcessingResponse {
	x := st.x
	// The exchange keeps the headers the frame read, and the frame
	// starts a new array for the next headers it reads.
	x.Header, h.headers = h.headers, nil
	x.Method, x.Path = x.Header.Get(":method"), x.Header.Get(":path")
	x.RequestID = x.Header.Get("x-request-id")
	if x.RequestID == "" {
		x.RequestID = "sluice-" + strconv.FormatUint(st.srv.ids.Add(1), 36)
	}
	ctx = st.begin(ctx)
	if x.Config == nil {
		return st.fail(gwerror.New(gwerror.UpstreamUnavailable, "gateway has no configuration loaded"))
	}
	if st.p == nil {
		return st.fail(gwerror.New(gwerror.Internal, "upstream ext_proc streams are not enabled"))
	}
	if err := st.p.RequestHeaders(ctx, x); err != nil {
		return st.fail(err)
	}
	if x.Reply != nil {
		return reply(x)
	}
	if h.end {
		// No body follows (GET, or a POST with an empty body): run the
		// request stages now, on the headers response.
		return st.runRequest(ctx, nil, true)
	}
	st.ans.reset()
	return st.ans.finish(fieldRequestHeaders)
}

func (st *streamState) requestBody(ctx context.Context, b *frame) *extprocv3.ProcessingResponse {
	if !b.end {
		// Sluice rewrites the whole body and must see it before anything
		// goes upstream; a streamed request body would leak unrewritten
		// chunks. Refuse rather than forward.
		return st.fail(gwerror.New(gwerror.Internal,
			"Envoy must send the request body BUFFERED to Sluice (processing_mode.request_body_mode)"))
	}
	return st.runRequest(ctx, b.body, false)
}

func (st *streamState) runRequest(ctx context.Context, body []byte, onHeaders bool) *extprocv3.ProcessingResponse {
	x := st.x
	if limit := x.Config.Server.MaxRequestBodyBytes; limit > 0 && int64(len(body)) > limit {
		return st.fail(gwerror.New(gwerror.BodyTooLarge,
			"request body of %d bytes exceeds the limit of %d bytes", len(body), limit))
	}
	x.Request.Body = body
	x.Out.Reset()
	if err := st.p.Request(ctx, x); err != nil {
		return st.fail(err)
	}
	if x.Reply != nil {
		return reply(x)
	}
	a := st.ans
	a.reset()
	a.common(&x.Out, x.Header)
	a.setMetadata(x.Out.Metadata, &st.sent)
	if !onHeaders {
		return a.finish(fieldRequestBody)
	}
	if x.Out.ReplaceBody {
		// A body produced for a request that had none must be sent with
		// CONTINUE_AND_REPLACE from the headers phase.
		a.status = extprocv3.CommonResponse_CONTINUE_AND_REPLACE
	}
	return a.finish(fieldRequestHeaders)
}

func (st *streamState) responseHeaders(ctx context.Context, h *frame) *extprocv3.ProcessingResponse {
	x := st.x
	x.RespHeader, h.headers = h.headers, nil
	x.Status, _ = strconv.Atoi(x.RespHeader.Get(":status"))
	x.Outcome.Status = x.Status
	x.ContentType = x.RespHeader.Get("content-type")
	x.Out.Reset()
	if err := st.p.ResponseHeaders(ctx, x); err != nil {
		return st.fail(err)
	}
	for _, h := range x.ClientHeaders {
		x.Out.Set(h.Key, h.Value)
	}
	if h.end {
		// No body will follow: let the stages finish on an empty body now.
		out, err := st.p.ResponseBody(ctx, x, nil, true)
		if err != nil {
			return st.fail(err)
		}
		if len(out) > 0 {
			x.Out.Body, x.Out.ReplaceBody = out, true
		}
		st.released(ctx, out)
	}
	a := st.ans
	a.reset()
	a.common(&x.Out, x.RespHeader)
	a.setMetadata(x.Out.Metadata, &st.sent)
	a.streamed = x.Out.StreamBody
	return a.finish(fieldResponseHeaders)
}

func (st *streamState) responseBody(ctx context.Context, b *frame) *extprocv3.ProcessingResponse {
	x, a := st.x, st.ans
	a.reset()
	if st.finished {
		return a.finish(fieldResponseBody)
	}
	// Metadata set while this chunk runs (usage, on the last one) goes out
	// with this chunk's answer.
	x.Out.ResetMetadata()
	if failed := st.runResponseBody(ctx, b.body, b.end); failed != nil {
		return failed
	}
	a.setMetadata(x.Out.Metadata, &st.sent)
	return a.finish(fieldResponseBody)
}

// runResponseBody runs the stages on a chunk and readies the answer to
// it, or returns the immediate response that ends the exchange instead.
func (st *streamState) runResponseBody(ctx context.Context, in []byte, end bool) *extprocv3.ProcessingResponse {
	x := st.x
	out, err := st.p.ResponseBody(ctx, x, in, end)
	if err != nil {
		if x.Streaming {
			// Headers are already downstream: a local reply is no longer
			// possible. Stages finish the stream with an SSE error event
			// themselves; anything reaching here is logged and the bytes
			// produced so far still go out.
			st.srv.log.Error("stream stage failed", "request_id", x.RequestID, "err", err)
			st.finished = true
			x.Outcome.Error = string(gwerror.From(err).Code)
			st.released(ctx, out)
			st.ans.replaceBody(out)
			return nil
		}
		return st.fail(err)
	}
	st.released(ctx, out)
	if pipeline.SameBytes(out, in) {
		// Nothing to rewrite: Envoy keeps the bytes it holds, and its
		// content-length still matches them.
		return nil
	}
	st.ans.replaceBody(out)
	if !x.Streaming {
		// Buffered: Envoy still holds the headers, so content-length must
		// match the replaced body.
		st.ans.setContentLength(len(out))
	}
	return nil
}
