package envoystandin

import (
	"net"
	"net/http"
	"strconv"

	"google.golang.org/protobuf/types/known/structpb"
)

// attributesKey is where Envoy puts ext_proc attributes.
const attributesKey = "envoy.filters.http.ext_proc"

// attributes builds the configured attributes for d's first message. Like
// Envoy, it leaves out attributes that have no value.
func (f *extProcFilter) attributes(d *direction) map[string]*structpb.Struct {
	names := f.cfg.requestAttributes
	if !d.request {
		names = f.cfg.responseAttributes
	}
	fields := map[string]*structpb.Value{}
	for _, name := range names {
		if v := f.attribute(name); v != nil {
			fields[name] = v
		}
	}
	if len(fields) == 0 {
		return nil
	}
	return map[string]*structpb.Struct{attributesKey: {Fields: fields}}
}

// attribute reads the request and response as this filter sees them: in
// the upstream filter chain, the router's request headers for the attempt.
func (f *extProcFilter) attribute(name string) *structpb.Value {
	x := f.x
	str := func(s string, ok bool) *structpb.Value {
		if !ok || s == "" {
			return nil
		}
		return structpb.NewStringValue(s)
	}
	num := func(s string) *structpb.Value {
		n, err := strconv.Atoi(s)
		if err != nil {
			return nil
		}
		return structpb.NewNumberValue(float64(n))
	}
	local := ""
	if a, ok := x.r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		local = a.String()
	}
	switch name {
	case "source.address":
		return str(x.r.RemoteAddr, true)
	case "source.port":
		return num(port(x.r.RemoteAddr))
	case "destination.address":
		return str(local, true)
	case "destination.port":
		return num(port(local))
	case "request.id":
		return str(f.req.hdr.get("x-request-id"))
	case "request.method":
		return str(f.req.hdr.get(":method"))
	case "request.path":
		return str(f.req.hdr.get(":path"))
	case "request.host":
		return str(f.req.hdr.get(":authority"))
	case "request.scheme":
		return str(f.req.hdr.get(":scheme"))
	case "request.protocol":
		return str(x.r.Proto, true)
	case "xds.route_name":
		return str(x.routeName(), true)
	case "xds.cluster_name":
		if x.route != nil {
			return str(x.route.cluster, true)
		}
	case "connection.mtls":
		return structpb.NewBoolValue(x.down.PeerURISAN != "")
	case "connection.uri_san_peer_certificate":
		return str(x.down.PeerURISAN, true)
	case "response.code":
		if f.resp.hdr != nil {
			code, _ := f.resp.hdr.get(":status")
			return num(code)
		}
	}
	return nil
}

func (x *exchange) routeName() string {
	if x.route == nil {
		return ""
	}
	return x.route.name
}

func port(hostport string) string {
	_, p, err := net.SplitHostPort(hostport)
	if err != nil {
		return ""
	}
	return p
}
