package extproc

import (
	"strconv"
	"unsafe"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	extprocv3 "github.com/envoyproxy/go-control-plane/envoy/service/ext_proc/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"

	"github.com/sluice-gw/sluice/pkg/gwerror"
	"github.com/sluice-gw/sluice/pkg/pipeline"
)

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
