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
func (x *exchange) attributes(d *direction) map[string]*structpb.Struct {
	names := x.hcm.extProc.requestAttributes
	if !d.request {
		names = x.hcm.extProc.responseAttributes
	}
	fields := map[string]*structpb.Value{}
	for _, name := range names {
		if v := x.attribute(name); v != nil {
			fields[name] = v
		}
	}
	if len(fields) == 0 {
		return nil
	}
	return map[string]*structpb.Struct{attributesKey: {Fields: fields}}
}

func (x *exchange) attribute(name string) *structpb.Value {
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
		return str(x.req.hdr.get("x-request-id"))
	case "request.method":
		return str(x.req.hdr.get(":method"))
	case "request.path":
		return str(x.req.hdr.get(":path"))
	case "request.host":
		return str(x.req.hdr.get(":authority"))
	case "request.scheme":
		return str(x.req.hdr.get(":scheme"))
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
		if x.resp.hdr != nil {
			code, _ := x.resp.hdr.get(":status")
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
