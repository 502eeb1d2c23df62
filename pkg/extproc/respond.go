package extproc

import (
	"strconv"
	"unsafe"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	filterv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/ext_proc/v3"
	extprocv3 "github.com/envoyproxy/go-control-plane/envoy/service/ext_proc/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/sluice-gw/sluice/pkg/gwerror"
	"github.com/sluice-gw/sluice/pkg/pipeline"
)

func readHeaders(dst pipeline.Headers, m *corev3.HeaderMap) pipeline.Headers {
	for _, h := range m.GetHeaders() {
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

// header builds a replace-mode header. Envoy reads raw_value; a value-only
// header would arrive empty.
func header(k, v string) *corev3.HeaderValueOption {
	return &corev3.HeaderValueOption{
		Header:       &corev3.HeaderValue{Key: k, RawValue: []byte(v)},
		AppendAction: corev3.HeaderValueOption_OVERWRITE_IF_EXISTS_OR_ADD,
	}
}

func commonResponse(m *pipeline.Mutation) *extprocv3.CommonResponse {
	c := &extprocv3.CommonResponse{}
	if len(m.SetHeaders) > 0 || len(m.RemoveHeaders) > 0 {
		hm := &extprocv3.HeaderMutation{RemoveHeaders: m.RemoveHeaders}
		for _, h := range m.SetHeaders {
			hm.SetHeaders = append(hm.SetHeaders, header(h.Key, h.Value))
		}
		c.HeaderMutation = hm
	}
	if m.ReplaceBody {
		c.BodyMutation = &extprocv3.BodyMutation{Mutation: &extprocv3.BodyMutation_Body{Body: m.Body}}
	}
	// Envoy re-matches the route only when a header mutation accompanies
	// the clear; the route stage always sets x-sluice-backend with it.
	c.ClearRouteCache = m.ClearRouteCache && c.HeaderMutation != nil
	return c
}

func bodyResponse(body []byte, replace bool) *extprocv3.ProcessingResponse {
	c := &extprocv3.CommonResponse{}
	if replace {
		c.BodyMutation = &extprocv3.BodyMutation{Mutation: &extprocv3.BodyMutation_Body{Body: body}}
	}
	return &extprocv3.ProcessingResponse{Response: &extprocv3.ProcessingResponse_ResponseBody{
		ResponseBody: &extprocv3.BodyResponse{Response: c}}}
}

// streamedResponseMode switches the response body to STREAMED for SSE.
// Every body mode is explicit because Envoy treats an omitted one as NONE.
func streamedResponseMode() *filterv3.ProcessingMode {
	return &filterv3.ProcessingMode{
		RequestHeaderMode:   filterv3.ProcessingMode_SEND,
		ResponseHeaderMode:  filterv3.ProcessingMode_SEND,
		RequestBodyMode:     filterv3.ProcessingMode_BUFFERED,
		ResponseBodyMode:    filterv3.ProcessingMode_STREAMED,
		RequestTrailerMode:  filterv3.ProcessingMode_SKIP,
		ResponseTrailerMode: filterv3.ProcessingMode_SKIP,
	}
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
	hm := &extprocv3.HeaderMutation{}
	for _, h := range hs {
		hm.SetHeaders = append(hm.SetHeaders, header(h.Key, h.Value))
	}
	if x.RequestID != "" {
		hm.SetHeaders = append(hm.SetHeaders, header("x-request-id", x.RequestID))
	}
	for _, h := range x.ClientHeaders {
		hm.SetHeaders = append(hm.SetHeaders, header(h.Key, h.Value))
	}
	hm.SetHeaders = append(hm.SetHeaders, header("content-length", strconv.Itoa(len(body))))
	return &extprocv3.ProcessingResponse{Response: &extprocv3.ProcessingResponse_ImmediateResponse{
		ImmediateResponse: &extprocv3.ImmediateResponse{
			Status:  &typev3.HttpStatus{Code: typev3.StatusCode(int32(status))}, //nolint:gosec // bounded to 200..599 above,
			Headers: hm,
			Body:    body,
			Details: details,
		}}}
}

// dynamicMetadata wraps m as {"sluice": {...}}, the shape Envoy expects:
// top-level keys are namespaces.
func dynamicMetadata(m map[string]string) *structpb.Struct {
	if len(m) == 0 {
		return nil
	}
	// One slab for all values and their kinds: two allocations per
	// response instead of two per value.
	vals := make([]structpb.Value, len(m))
	kinds := make([]structpb.Value_StringValue, len(m))
	fields := make(map[string]*structpb.Value, len(m))
	i := 0
	for k, v := range m {
		kinds[i].StringValue = v
		vals[i].Kind = &kinds[i]
		fields[k] = &vals[i]
		i++
	}
	return &structpb.Struct{Fields: map[string]*structpb.Value{
		pipeline.MetadataNamespace: structpb.NewStructValue(&structpb.Struct{Fields: fields}),
	}}
}
