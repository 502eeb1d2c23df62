package envoystandin

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
)

// exchange is one downstream request on its way through the connection
// manager: ext_proc, then the router, then back.
type exchange struct {
	p    *Proxy
	hcm  *hcmConfig
	w    http.ResponseWriter
	r    *http.Request
	ctx  context.Context
	down DownstreamInfo

	req, resp direction
	route     *route
	ext       *extProcFilter // nil without an ext_proc filter

	headersSent    bool
	upstreamCancel context.CancelFunc
	attempts       []*attempt // the router's tries, in order

	mu       sync.Mutex // guards rec, the counters of every filter, and metadata
	rec      RequestRecord
	metadata map[string]*structpb.Struct
}

// direction is the request or the response side of the exchange.
type direction struct {
	request   bool
	hdr       *headerMap
	held      bool // the filter still holds the headers: mutations can apply
	attrsSent bool
}

// localReply is a response the proxy makes up itself, or a stream reset.
type localReply struct {
	status  int
	body    []byte
	headers *headerMap
	details string
	reset   bool
}

func (l *localReply) Error() string { return "local reply: " + l.details }

func (p *Proxy) serveHTTP(w http.ResponseWriter, r *http.Request) {
	x := &exchange{p: p, hcm: p.listener.hcm, w: w, r: r, ctx: r.Context(), metadata: map[string]*structpb.Struct{}}
	if p.opts.Downstream != nil {
		x.down = p.opts.Downstream(r)
		for ns, s := range x.down.FilterMetadata {
			x.metadata[ns] = proto.Clone(s).(*structpb.Struct)
		}
	}
	defer x.complete()
	if err := x.run(); err != nil {
		x.fail(err)
	}
}

func (x *exchange) run() error {
	x.prepare()
	x.route = x.hcm.routes.match(x.req.hdr)
	if ep := x.hcm.extProc; ep != nil {
		x.ext = newExtProcFilter(x, ep, &x.rec.Counters, &x.req, &x.resp)
	}
	body, err := x.requestPhase()
	if err != nil {
		return err
	}
	up, err := x.forward(body)
	if err != nil {
		return err
	}
	defer up.body.Close()
	return x.responsePhase(up)
}

// prepare does what the connection manager does before any filter runs.
func (x *exchange) prepare() {
	h := requestHeaders(x.r, "http")
	for _, name := range x.hcm.earlyRemove {
		h.del(strings.ToLower(name))
	}
	if x.hcm.useRemoteAddress {
		ip, _, _ := net.SplitHostPort(x.r.RemoteAddr)
		if prev, ok := h.joined("x-forwarded-for"); ok {
			ip = prev + ", " + ip
		}
		h.set("x-forwarded-for", ip)
		h.set("x-forwarded-proto", "http")
	} else if _, ok := h.get("x-forwarded-proto"); !ok {
		h.set("x-forwarded-proto", "http")
	}
	if _, ok := h.get("x-request-id"); !ok && x.hcm.generateRequestID {
		h.set("x-request-id", newRequestID())
	}
	x.req = direction{request: true, hdr: h, held: true}
	x.rec.RequestID, _ = h.get("x-request-id")
}

// fail answers with a local reply, or resets the stream when the response
// has already started, as Envoy does.
func (x *exchange) fail(err error) {
	var lr *localReply
	if !errors.As(err, &lr) {
		lr = &localReply{status: http.StatusInternalServerError, details: err.Error()}
	}
	x.rec.LocalReply = lr.details
	if lr.reset || x.headersSent {
		x.p.log.Debug("Envoy stand-in reset the stream", "request_id", x.rec.RequestID, "details", lr.details)
		x.rec.Reset, x.rec.Status = true, 0
		// The net/http way to reset a stream: net/http recovers it quietly.
		panic(http.ErrAbortHandler)
	}
	h := lr.headers
	if h == nil {
		h = &headerMap{}
	}
	h.set(":status", strconv.Itoa(lr.status))
	if len(lr.body) > 0 {
		if _, ok := h.get("content-type"); !ok {
			h.set("content-type", "text/plain")
		}
	}
	h.set("content-length", strconv.Itoa(len(lr.body)))
	x.writeHeaders(h)
	x.writeBody(lr.body)
}

func (x *exchange) complete() {
	if x.ext != nil {
		x.ext.close()
	}
	for _, a := range x.attempts {
		a.end()
	}
	if x.upstreamCancel != nil {
		x.upstreamCancel()
	}
	if x.p.opts.OnComplete == nil {
		return
	}
	x.mu.Lock()
	rec := x.rec
	rec.Attempts = make([]AttemptRecord, len(x.attempts))
	for i, a := range x.attempts {
		rec.Attempts[i] = a.rec
	}
	rec.DynamicMetadata = map[string]*structpb.Struct{}
	for ns, s := range x.metadata {
		rec.DynamicMetadata[ns] = proto.Clone(s).(*structpb.Struct)
	}
	x.mu.Unlock()
	x.p.opts.OnComplete(rec)
}

// receiveMetadata keeps the namespaces receiving_namespaces lists; Envoy
// drops the others with only a debug log. Upstream filters write to the
// same stream metadata as the downstream one.
func (f *extProcFilter) receiveMetadata(dm *structpb.Struct) {
	x := f.x
	x.mu.Lock()
	defer x.mu.Unlock()
	for ns, v := range dm.GetFields() {
		s := v.GetStructValue()
		if s == nil || !slices.Contains(f.cfg.receiveNamespaces, ns) {
			x.p.log.Debug("Envoy stand-in dropped dynamic metadata", "namespace", ns)
			continue
		}
		if x.metadata[ns] == nil {
			x.metadata[ns] = &structpb.Struct{Fields: map[string]*structpb.Value{}}
		}
		for k, fv := range s.GetFields() {
			x.metadata[ns].Fields[k] = fv
		}
	}
}

// newRequestID makes a random UUID v4, as Envoy's request id extension does.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
