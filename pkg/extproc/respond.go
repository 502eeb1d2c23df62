package extproc

import (
	"strconv"
	"unsafe"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	filterv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/ext_proc/v3"
	extprocv3 "github.com/envoyproxy/go-control-plane/envoy/service/ext_proc/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"

	"github.com/sluice-gw/sluice/pkg/gwerror"
	"github.com/sluice-gw/sluice/pkg/pipeline"
)

func readHeaders(dst pipeline.Headers, m *corev3.HeaderMap) pipeline.Headers {
	hs := m.GetHeaders()
	if cap(dst) < len(hs) {
		// One allocation, not one per doubling.
		dst = make(pipeline.Headers, 0, len(hs))
	}
	for _, h := range hs {
		v := h.GetValue()
		if raw := h.GetRawValue(); len(raw) > 0 {
			// The message is never modified after it arrives, so the
			// value can alias its bytes instead of copying every header.
			v = unsafe.String(unsafe.SliceData(raw), len(raw)) //nolint:gosec // read-only alias of an immutable message; see above
		}
		dst = append(dst, pipeline.Header{Key: h.GetKey(), Value: v})
	}
	return dst
}

// header is one replace-mode header and the value it wraps, allocated
// together.
type header struct {
	opt corev3.HeaderValueOption
	val corev3.HeaderValue
}

// set fills h. Envoy reads raw_value; a value-only header would arrive
// empty. The value aliases v's bytes: the message is only read, by the
// marshalling in Send, while v is still alive.
func (h *header) set(k, v string) *corev3.HeaderValueOption {
	h.val.Key = k
	h.val.RawValue = unsafe.Slice(unsafe.StringData(v), len(v)) //nolint:gosec // read-only alias; see above
	h.opt.Header = &h.val
	h.opt.AppendAction = corev3.HeaderValueOption_OVERWRITE_IF_EXISTS_OR_ADD
	return &h.opt
}

// setHeaders builds the header options for hs in two allocations.
func setHeaders(hs []pipeline.Header) []*corev3.HeaderValueOption {
	if len(hs) == 0 {
		return nil
	}
	slab := make([]header, len(hs))
	out := make([]*corev3.HeaderValueOption, len(hs))
	for i, h := range hs {
		out[i] = slab[i].set(h.Key, h.Value)
	}
	return out
}

// answer is one ProcessingResponse with every message it may carry. A
// stream keeps one and reuses it for each of its messages: Send has
// marshalled an answer before the next message is read, and nothing keeps
// a reference to it. The header slabs keep their capacity across uses.
type answer struct {
	resp  extprocv3.ProcessingResponse
	reqH  extprocv3.ProcessingResponse_RequestHeaders
	reqB  extprocv3.ProcessingResponse_RequestBody
	respH extprocv3.ProcessingResponse_ResponseHeaders
	respB extprocv3.ProcessingResponse_ResponseBody
	hr    extprocv3.HeadersResponse
	br    extprocv3.BodyResponse
	c     extprocv3.CommonResponse
	hm    extprocv3.HeaderMutation
	bm    extprocv3.BodyMutation
	body  extprocv3.BodyMutation_Body
	digit [20]byte // content-length's value

	slab []header
	opts []*corev3.HeaderValueOption
	meta []byte            // the encoded dynamic metadata
	kvs  []pipeline.Header // the metadata, sorted

	// First storage of the slices above, inside the stream's own
	// allocation: enough for a usual answer.
	slabArr [8]header
	optArr  [8]*corev3.HeaderValueOption
	metaArr [384]byte
	kvArr   [12]pipeline.Header
}

// reset empties a for the next message, keeping its header slabs.
func (a *answer) reset() {
	slab, opts, meta, kvs := a.slab, a.opts, a.meta, a.kvs
	*a = answer{}
	a.slab, a.opts, a.meta, a.kvs = slab[:0], opts[:0], meta[:0], kvs[:0]
}

// headers builds the header options in a's slabs.
func (a *answer) headers(hs []pipeline.Header) []*corev3.HeaderValueOption {
	if len(hs) == 0 {
		return nil
	}
	if a.slab == nil {
		a.slab, a.opts = a.slabArr[:0], a.optArr[:0]
	}
	if cap(a.slab) < len(hs) {
		a.slab = make([]header, len(hs))
		a.opts = make([]*corev3.HeaderValueOption, len(hs))
	}
	a.slab, a.opts = a.slab[:len(hs)], a.opts[:len(hs)]
	for i, h := range hs {
		a.slab[i] = header{}
		a.opts[i] = a.slab[i].set(h.Key, h.Value)
	}
	return a.opts
}

// common fills a's CommonResponse from m.
func (a *answer) common(m *pipeline.Mutation) *extprocv3.CommonResponse {
	if len(m.SetHeaders) > 0 || len(m.RemoveHeaders) > 0 {
		a.hm.RemoveHeaders = m.RemoveHeaders
		a.hm.SetHeaders = a.headers(m.SetHeaders)
		a.c.HeaderMutation = &a.hm
	}
	if m.ReplaceBody {
		a.replace(m.Body)
	}
	// Envoy re-matches the route only when a header mutation accompanies
	// the clear; the route stage always sets x-sluice-backend with it.
	a.c.ClearRouteCache = m.ClearRouteCache && a.c.HeaderMutation != nil
	return &a.c
}

func (a *answer) replace(body []byte) {
	a.body.Body = body
	a.bm.Mutation = &a.body
	a.c.BodyMutation = &a.bm
}

// setContentLength makes content-length n the only header the answer
// changes.
func (a *answer) setContentLength(n int) {
	v := strconv.AppendInt(a.digit[:0], int64(n), 10)
	a.hm.SetHeaders = a.headers([]pipeline.Header{{Key: "content-length",
		Value: unsafe.String(unsafe.SliceData(v), len(v))}}) //nolint:gosec // v lives in a, as long as the message
	a.c.HeaderMutation = &a.hm
}

// requestHeaders answers request_headers with c.
func (a *answer) requestHeaders(c *extprocv3.CommonResponse) *extprocv3.ProcessingResponse {
	a.hr.Response = c
	a.reqH.RequestHeaders = &a.hr
	a.resp.Response = &a.reqH
	return &a.resp
}

// requestBody answers request_body with c.
func (a *answer) requestBody(c *extprocv3.CommonResponse) *extprocv3.ProcessingResponse {
	a.br.Response = c
	a.reqB.RequestBody = &a.br
	a.resp.Response = &a.reqB
	return &a.resp
}

// responseHeaders answers response_headers with c.
func (a *answer) responseHeaders(c *extprocv3.CommonResponse) *extprocv3.ProcessingResponse {
	a.hr.Response = c
	a.respH.ResponseHeaders = &a.hr
	a.resp.Response = &a.respH
	return &a.resp
}

// responseBody answers a response_body chunk, replacing it with body
// when replace is set.
func (a *answer) responseBody(body []byte, replace bool) *extprocv3.ProcessingResponse {
	a.reset()
	if replace {
		a.replace(body)
	}
	a.br.Response = &a.c
	a.respB.ResponseBody = &a.br
	a.resp.Response = &a.respB
	return &a.resp
}

// streamedResponseMode switches the response body to STREAMED for SSE.
// Every body mode is explicit because Envoy treats an omitted one as NONE.
// It is shared by every answer: marshalling only reads it.
var streamedResponseMode = &filterv3.ProcessingMode{
	RequestHeaderMode:   filterv3.ProcessingMode_SEND,
	ResponseHeaderMode:  filterv3.ProcessingMode_SEND,
	RequestBodyMode:     filterv3.ProcessingMode_BUFFERED,
	ResponseBodyMode:    filterv3.ProcessingMode_STREAMED,
	RequestTrailerMode:  filterv3.ProcessingMode_SKIP,
	ResponseTrailerMode: filterv3.ProcessingMode_SKIP,
}

func reply(x *pipeline.Exchange) *extprocv3.ProcessingResponse {
	r := x.Reply
	status := r.Status
	if status == 0 {
		status = 200
	}
	return immediate(x, status, r.Headers, r.Body, "sluice_local_reply")
}

func errorHeaders(e *gwerror.Error) []pipeline.Header {
	hs := []pipeline.Header{{Key: "content-type", Value: "application/json"}}
	for k, v := range e.Headers {
		hs = append(hs, pipeline.Header{Key: k, Value: v})
	}
	return hs
}

func immediate(x *pipeline.Exchange, status int, hs []pipeline.Header, body []byte, details string) *extprocv3.ProcessingResponse {
	if status < 200 || status > 599 {
		status = 500 // statuses come from gwerror or stages; never send Envoy a nonsense one
	}
	x.Outcome.Status = status
	all := make([]pipeline.Header, 0, len(hs)+len(x.ClientHeaders)+2)
	all = append(all, hs...)
	if x.RequestID != "" {
		all = append(all, pipeline.Header{Key: "x-request-id", Value: x.RequestID})
	}
	all = append(all, x.ClientHeaders...)
	all = append(all, pipeline.Header{Key: "content-length", Value: strconv.Itoa(len(body))})
	hm := &extprocv3.HeaderMutation{SetHeaders: setHeaders(all)}
	return &extprocv3.ProcessingResponse{Response: &extprocv3.ProcessingResponse_ImmediateResponse{
		ImmediateResponse: &extprocv3.ImmediateResponse{
			Status:  &typev3.HttpStatus{Code: typev3.StatusCode(int32(status))}, //nolint:gosec // bounded to 200..599 above,
			Headers: hm,
			Body:    body,
			Details: details,
		}}}
}
