package envoystandin

import (
	"fmt"
	"io"
	"net/http"
	"strconv"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	extprocfilterv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/ext_proc/v3"
	extprocv3 "github.com/envoyproxy/go-control-plane/envoy/service/ext_proc/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
)

func (d *direction) headersKind() msgKind {
	if d.request {
		return kindRequestHeaders
	}
	return kindResponseHeaders
}

func (d *direction) bodyKind() msgKind {
	if d.request {
		return kindRequestBody
	}
	return kindResponseBody
}

// headersPhase sends d's headers and applies the answer. A non-nil result
// is the body that CONTINUE_AND_REPLACE put in place of the real one.
func (f *extProcFilter) headersPhase(d *direction, endOfStream bool) (*[]byte, error) {
	hh := &extprocv3.HttpHeaders{Headers: d.hdr.proto(f.cfg.forward), EndOfStream: endOfStream}
	req := f.newMessage(d)
	if d.request {
		req.Request = &extprocv3.ProcessingRequest_RequestHeaders{RequestHeaders: hh}
	} else {
		req.Request = &extprocv3.ProcessingRequest_ResponseHeaders{ResponseHeaders: hh}
	}
	f.stream.send(req)
	resp, err := f.stream.wait(d.headersKind())
	if err != nil || resp == nil {
		return nil, err
	}
	f.modeOverride(resp.GetModeOverride())
	cr := resp.GetRequestHeaders().GetResponse()
	if !d.request {
		cr = resp.GetResponseHeaders().GetResponse()
	}
	if err := f.applyHeaderMutation(d, cr); err != nil {
		return nil, err
	}
	if cr.GetStatus() != extprocv3.CommonResponse_CONTINUE_AND_REPLACE {
		return nil, nil
	}
	// The rest of this side's body is skipped; Envoy drops content-length.
	d.hdr.del("content-length")
	body := cr.GetBodyMutation().GetBody()
	return &body, nil
}

// modeOverride is honoured in header responses only, with allow_mode_override,
// and when allowed_override_modes (request_header_mode aside) lists it.
func (f *extProcFilter) modeOverride(o *extprocfilterv3.ProcessingMode) {
	cfg := f.cfg
	if o == nil || !cfg.allowModeOverride {
		return
	}
	m := modeOf(o)
	allowed := len(cfg.allowedOverrides) == 0
	for _, a := range cfg.allowedOverrides {
		a.reqHeaders = m.reqHeaders
		allowed = allowed || a == m
	}
	unsupported := m.reqBody == extprocfilterv3.ProcessingMode_FULL_DUPLEX_STREAMED ||
		m.respBody == extprocfilterv3.ProcessingMode_FULL_DUPLEX_STREAMED ||
		m.reqBody == extprocfilterv3.ProcessingMode_GRPC || m.respBody == extprocfilterv3.ProcessingMode_GRPC
	if !allowed || unsupported {
		f.count(func(c *Counters) { c.ModeOverrideRejected++ })
		return
	}
	f.mode = m
}

// applyHeaderMutation applies a response's header mutation to d's headers
// under the mutation rules, and clears the route cache when asked to with a
// header mutation on the request path. In the upstream filter chain the
// route is already chosen, so clearing it is ignored.
func (f *extProcFilter) applyHeaderMutation(d *direction, cr *extprocv3.CommonResponse) error {
	rejected := 0
	err := f.cfg.rules.apply(cr.GetHeaderMutation(), d.hdr, &rejected)
	f.count(func(c *Counters) { c.RejectedHeaderMutations += rejected })
	if err != nil {
		f.stream.finish()
		return &localReply{status: http.StatusInternalServerError, details: "ext_proc_error_" + err.Error()}
	}
	if !d.request || !cr.GetClearRouteCache() {
		return nil
	}
	if cr.GetHeaderMutation() == nil || f.upstream {
		f.count(func(c *Counters) { c.ClearRouteCacheIgnored++ })
		return nil
	}
	f.x.route = f.x.hcm.routes.match(d.hdr)
	return nil
}

// bufferedBody reads the whole body (or, partial, up to the buffer limit),
// sends it in one message and returns the body to forward, plus whether
// src had more to come (BUFFERED_PARTIAL over the limit).
func (f *extProcFilter) bufferedBody(d *direction, src io.Reader, partial bool) ([]byte, bool, error) {
	limit := f.x.p.listener.bufferLimit
	data, err := io.ReadAll(io.LimitReader(src, int64(limit)+1))
	if err != nil {
		return nil, false, &localReply{reset: true, details: "body_read_error"}
	}
	more := len(data) > limit
	if more && !partial {
		if d.request {
			return nil, false, &localReply{status: http.StatusRequestEntityTooLarge, body: []byte("Payload Too Large"), details: "request_payload_too_large"}
		}
		return nil, false, &localReply{status: http.StatusInternalServerError, body: []byte("Internal Server Error"), details: "response_payload_too_large"}
	}
	var extra []byte
	if more {
		data, extra = data[:limit], data[limit:]
	}
	out, err := f.bodyExchange(d, data, !more)
	return append(out, extra...), more, err
}

// bodyExchange sends one body message while the headers are held and
// applies the answer.
func (f *extProcFilter) bodyExchange(d *direction, data []byte, endOfStream bool) ([]byte, error) {
	f.stream.send(f.bodyMessage(d, data, endOfStream))
	resp, err := f.stream.wait(d.bodyKind())
	if err != nil || resp == nil {
		return data, err
	}
	cr := resp.GetRequestBody().GetResponse()
	if !d.request {
		cr = resp.GetResponseBody().GetResponse()
	}
	if err := f.applyHeaderMutation(d, cr); err != nil {
		return nil, err
	}
	body, replaced := mutateBody(cr.GetBodyMutation(), data)
	if !replaced {
		return data, nil
	}
	if cl, ok := d.hdr.get("content-length"); ok {
		if n, err := strconv.Atoi(cl); err == nil && n != len(body) {
			f.stream.finish()
			return nil, &localReply{status: http.StatusInternalServerError,
				details: fmt.Sprintf("ext_proc_error_mismatch_between_content_length_%d_and_mutated_body_%d", n, len(body))}
		}
	}
	return body, nil
}

// mutateBody applies body or clear_body; streamed_response belongs to
// FULL_DUPLEX_STREAMED and changes nothing here.
func mutateBody(m *extprocv3.BodyMutation, data []byte) ([]byte, bool) {
	switch mu := m.GetMutation().(type) {
	case *extprocv3.BodyMutation_Body:
		return mu.Body, true
	case *extprocv3.BodyMutation_ClearBody:
		if mu.ClearBody {
			return nil, true
		}
	}
	return data, false
}

func (f *extProcFilter) bodyMessage(d *direction, data []byte, endOfStream bool) *extprocv3.ProcessingRequest {
	hb := &extprocv3.HttpBody{Body: data, EndOfStream: endOfStream}
	req := f.newMessage(d)
	if d.request {
		req.Request = &extprocv3.ProcessingRequest_RequestBody{RequestBody: hb}
	} else {
		req.Request = &extprocv3.ProcessingRequest_ResponseBody{ResponseBody: hb}
	}
	return req
}

// newMessage starts a ProcessingRequest: attributes go in the first message
// of each direction; forwarded metadata goes in every message, as Envoy does.
func (f *extProcFilter) newMessage(d *direction) *extprocv3.ProcessingRequest {
	req := &extprocv3.ProcessingRequest{}
	if !d.attrsSent {
		d.attrsSent = true
		if attrs := f.attributes(d); attrs != nil {
			req.Attributes = attrs
		}
	}
	f.x.mu.Lock()
	defer f.x.mu.Unlock()
	var md *corev3.Metadata
	for _, ns := range f.cfg.forwardNamespaces {
		if s := f.x.metadata[ns]; s != nil {
			if md == nil {
				md = &corev3.Metadata{FilterMetadata: map[string]*structpb.Struct{}}
			}
			md.FilterMetadata[ns] = proto.Clone(s).(*structpb.Struct)
		}
	}
	req.MetadataContext = md
	return req
}

// dropContentLength: Envoy removes content-length up front whenever the body
// may change size on the way (STREAMED, BUFFERED_PARTIAL, and BUFFERED when
// the headers were not sent), unless allow_content_length_header is set.
func (f *extProcFilter) dropContentLength(d *direction, headersSent bool, body extprocfilterv3.ProcessingMode_BodySendMode) {
	if f.cfg.allowContentLength {
		return
	}
	switch body {
	case extprocfilterv3.ProcessingMode_STREAMED, extprocfilterv3.ProcessingMode_BUFFERED_PARTIAL:
		d.hdr.del("content-length")
	case extprocfilterv3.ProcessingMode_BUFFERED:
		if !headersSent {
			d.hdr.del("content-length")
		}
	}
}

// immediateReply turns an ImmediateResponse into the local reply Envoy
// sends: status below 200 (or unset) becomes 200, and its headers pass the
// same mutation rules as any other mutation.
func (f *extProcFilter) immediateReply(ir *extprocv3.ImmediateResponse) *localReply {
	status := int(ir.GetStatus().GetCode())
	if status < 200 {
		status = http.StatusOK
	}
	h := &headerMap{}
	rejected := 0
	if err := f.cfg.rules.apply(ir.GetHeaders(), h, &rejected); err != nil {
		f.x.p.log.Warn("Envoy stand-in: immediate response header mutation failed", "error", err)
	}
	f.count(func(c *Counters) { c.RejectedHeaderMutations += rejected })
	details := ir.GetDetails()
	if details == "" {
		details = "ext_proc_immediate_response"
	}
	return &localReply{status: status, body: ir.GetBody(), headers: h, details: details}
}
