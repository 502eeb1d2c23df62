package envoystandin

import (
	"fmt"

	extprocfilterv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/ext_proc/v3"
	routerv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	earlyv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/http/early_header_mutation/header_mutation/v3"
	"google.golang.org/protobuf/types/known/anypb"
)

// hcmConfig is the part of the HTTP connection manager the stand-in acts on.
type hcmConfig struct {
	routes            *routeTable
	extProc           *extProcConfig // nil without an ext_proc filter
	useRemoteAddress  bool
	generateRequestID bool
	earlyRemove       []string // headers removed before routing and filters
}

// hcmFields are honoured, or have no effect a development proxy could show
// (stats, logs, connection-level timeouts).
var hcmFields = []string{
	"stat_prefix", "codec_type", "route_config", "http_filters", "access_log",
	"stream_idle_timeout", "request_timeout", "request_headers_timeout", "drain_timeout",
	"delayed_close_timeout", "common_http_protocol_options", "http_protocol_options",
	"http2_protocol_options", "use_remote_address", "generate_request_id",
	"preserve_external_request_id", "early_header_mutation_extensions",
	"max_request_headers_kb", "server_name", "normalize_path", "merge_slashes",
}

func compileHCM(a *anypb.Any, at string, clusters map[string]*clusterConfig) (*hcmConfig, error) {
	hcm := &hcmv3.HttpConnectionManager{}
	if err := unpack(a, at, hcm); err != nil {
		return nil, err
	}
	at += ".typed_config"
	if err := onlyFields(hcm, at, hcmFields...); err != nil {
		return nil, err
	}
	hc := &hcmConfig{
		useRemoteAddress:  hcm.GetUseRemoteAddress().GetValue(),
		generateRequestID: hcm.GetGenerateRequestId() == nil || hcm.GetGenerateRequestId().GetValue(),
	}
	var err error
	if hc.earlyRemove, err = compileEarlyMutations(hcm, at); err != nil {
		return nil, err
	}
	if hc.routes, err = compileRouteConfig(hcm.GetRouteConfig(), at+".route_config", clusters); err != nil {
		return nil, err
	}
	if hc.extProc, err = compileHTTPFilters(hcm.GetHttpFilters(), at+".http_filters", clusters); err != nil {
		return nil, err
	}
	return hc, nil
}

// compileHTTPFilters accepts at most one ext_proc filter followed by the router.
func compileHTTPFilters(filters []*hcmv3.HttpFilter, at string, clusters map[string]*clusterConfig) (*extProcConfig, error) {
	var ep *extProcConfig
	for i, f := range filters {
		fat := fmt.Sprintf("%s[%d]", at, i)
		if err := onlyFields(f, fat, "name", "typed_config"); err != nil {
			return nil, err
		}
		switch {
		case f.GetTypedConfig().MessageIs(&routerv3.Router{}):
			if i != len(filters)-1 {
				return nil, fmt.Errorf("%s: the router must be the last HTTP filter", fat)
			}
			r := &routerv3.Router{}
			if err := unpack(f.GetTypedConfig(), fat, r); err != nil {
				return nil, err
			}
			if err := onlyFields(r, fat+".typed_config", "suppress_envoy_headers", "dynamic_stats", "start_child_span"); err != nil {
				return nil, err
			}
			return ep, nil
		case f.GetTypedConfig().MessageIs(&extprocfilterv3.ExternalProcessor{}):
			if ep != nil {
				return nil, fmt.Errorf("%s: the Envoy stand-in supports one ext_proc filter", fat)
			}
			var err error
			if ep, err = compileExtProc(f.GetTypedConfig(), fat, clusters); err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("%s: HTTP filter %q (%s) is not supported by the Envoy stand-in",
				fat, f.GetName(), typeName(f.GetTypedConfig()))
		}
	}
	return nil, fmt.Errorf("%s: no envoy.filters.http.router filter", at)
}

func compileEarlyMutations(hcm *hcmv3.HttpConnectionManager, at string) ([]string, error) {
	var remove []string
	for i, ext := range hcm.GetEarlyHeaderMutationExtensions() {
		eat := fmt.Sprintf("%s.early_header_mutation_extensions[%d]", at, i)
		m := &earlyv3.HeaderMutation{}
		if err := unpack(ext.GetTypedConfig(), eat, m); err != nil {
			return nil, err
		}
		for j, mu := range m.GetMutations() {
			if mu.GetRemove() == "" {
				return nil, fmt.Errorf("%s.typed_config.mutations[%d]: only `remove` is supported by the Envoy stand-in", eat, j)
			}
			remove = append(remove, mu.GetRemove())
		}
	}
	return remove, nil
}
