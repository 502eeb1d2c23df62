package envoystandin

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
)

// defaultRouteTimeout is Envoy's route timeout when none is configured.
const defaultRouteTimeout = 15 * time.Second

type routeTable struct{ vhosts []*virtualHost }

type virtualHost struct {
	name    string
	domains []string
	routes  []*route
}

type route struct {
	name          string
	prefix, path  string
	exactPath     bool
	caseSensitive bool
	headers       []headerMatcher

	cluster     string
	hostRewrite string
	autoHost    bool
	timeout     time.Duration // 0: none
	retry       *retryPolicy  // nil: one attempt
	direct      *directResponse

	requestAdd, responseAdd       []*corev3.HeaderValueOption
	requestRemove, responseRemove []string
}

type headerMatcher struct {
	name    string
	match   func(string) bool // nil: a present_match
	present bool
	invert  bool
}

type directResponse struct {
	status int
	body   []byte
}

func compileRouteConfig(rc *routev3.RouteConfiguration, at string, clusters map[string]*clusterConfig) (*routeTable, error) {
	if rc == nil {
		return nil, fmt.Errorf("%s: missing (rds is not supported by the Envoy stand-in)", at)
	}
	if err := onlyFields(rc, at, "name", "virtual_hosts", "validate_clusters"); err != nil {
		return nil, err
	}
	rt := &routeTable{}
	for i, vh := range rc.GetVirtualHosts() {
		vat := fmt.Sprintf("%s.virtual_hosts[%d]", at, i)
		if err := onlyFields(vh, vat, "name", "domains", "routes"); err != nil {
			return nil, err
		}
		v := &virtualHost{name: vh.GetName(), domains: vh.GetDomains()}
		for j, r := range vh.GetRoutes() {
			cr, err := compileRoute(r, fmt.Sprintf("%s.routes[%d]", vat, j), clusters)
			if err != nil {
				return nil, err
			}
			v.routes = append(v.routes, cr)
		}
		rt.vhosts = append(rt.vhosts, v)
	}
	return rt, nil
}

func compileRoute(r *routev3.Route, at string, clusters map[string]*clusterConfig) (*route, error) {
	if err := onlyFields(r, at, "name", "match", "route", "direct_response", "request_headers_to_add",
		"request_headers_to_remove", "response_headers_to_add", "response_headers_to_remove"); err != nil {
		return nil, err
	}
	cr := &route{name: r.GetName(), requestRemove: r.GetRequestHeadersToRemove(), responseRemove: r.GetResponseHeadersToRemove()}
	var err error
	if cr.requestAdd, err = checkHeadersToAdd(r.GetRequestHeadersToAdd(), at+".request_headers_to_add"); err != nil {
		return nil, err
	}
	if cr.responseAdd, err = checkHeadersToAdd(r.GetResponseHeadersToAdd(), at+".response_headers_to_add"); err != nil {
		return nil, err
	}
	if err := compileMatch(r.GetMatch(), at+".match", cr); err != nil {
		return nil, err
	}
	switch {
	case r.GetRoute() != nil:
		return cr, compileAction(r.GetRoute(), at+".route", cr, clusters)
	case r.GetDirectResponse() != nil:
		cr.direct, err = compileDirect(r.GetDirectResponse(), at+".direct_response")
		return cr, err
	}
	return nil, fmt.Errorf("%s: only route and direct_response actions are supported by the Envoy stand-in", at)
}

func compileMatch(m *routev3.RouteMatch, at string, cr *route) error {
	if err := onlyFields(m, at, "prefix", "path", "headers", "case_sensitive"); err != nil {
		return err
	}
	cr.caseSensitive = m.GetCaseSensitive() == nil || m.GetCaseSensitive().GetValue()
	switch p := m.GetPathSpecifier().(type) {
	case *routev3.RouteMatch_Prefix:
		cr.prefix = p.Prefix
	case *routev3.RouteMatch_Path:
		cr.path, cr.exactPath = p.Path, true
	default:
		return fmt.Errorf("%s: only prefix and path matches are supported by the Envoy stand-in", at)
	}
	for i, h := range m.GetHeaders() {
		hm, err := compileHeaderMatcher(h, fmt.Sprintf("%s.headers[%d]", at, i))
		if err != nil {
			return err
		}
		cr.headers = append(cr.headers, hm)
	}
	return nil
}

func compileHeaderMatcher(h *routev3.HeaderMatcher, at string) (headerMatcher, error) {
	hm := headerMatcher{name: strings.ToLower(h.GetName()), invert: h.GetInvertMatch()}
	if err := onlyFields(h, at, "name", "string_match", "exact_match", "present_match", "invert_match"); err != nil {
		return hm, err
	}
	switch s := h.GetHeaderMatchSpecifier().(type) {
	case *routev3.HeaderMatcher_PresentMatch:
		hm.present = s.PresentMatch
	case *routev3.HeaderMatcher_ExactMatch:
		exact := s.ExactMatch //nolint:staticcheck // deprecated, and still honoured by Envoy
		hm.match = func(v string) bool { return v == exact }
	case *routev3.HeaderMatcher_StringMatch:
		f, err := compileStringMatcher(s.StringMatch, at+".string_match")
		if err != nil {
			return hm, err
		}
		hm.match = f
	default:
		// Envoy treats a matcher with no specifier as present_match.
		hm.present = true
	}
	return hm, nil
}

func compileStringMatcher(m *matcherv3.StringMatcher, at string) (func(string) bool, error) {
	fold := m.GetIgnoreCase()
	norm := func(s string) string {
		if fold {
			return strings.ToLower(s)
		}
		return s
	}
	switch p := m.GetMatchPattern().(type) {
	case *matcherv3.StringMatcher_Exact:
		return func(v string) bool { return norm(v) == norm(p.Exact) }, nil
	case *matcherv3.StringMatcher_Prefix:
		return func(v string) bool { return strings.HasPrefix(norm(v), norm(p.Prefix)) }, nil
	case *matcherv3.StringMatcher_Suffix:
		return func(v string) bool { return strings.HasSuffix(norm(v), norm(p.Suffix)) }, nil
	case *matcherv3.StringMatcher_Contains:
		return func(v string) bool { return strings.Contains(norm(v), norm(p.Contains)) }, nil
	case *matcherv3.StringMatcher_SafeRegex:
		re, err := fullMatchRegexp(p.SafeRegex.GetRegex())
		if err != nil {
			return nil, fmt.Errorf("%s.safe_regex: %w", at, err)
		}
		return re.MatchString, nil
	}
	return nil, fmt.Errorf("%s: matcher is not supported by the Envoy stand-in", at)
}

// fullMatchRegexp compiles an RE2 expression that, as in Envoy, must match
// the whole string.
func fullMatchRegexp(expr string) (*regexp.Regexp, error) {
	return regexp.Compile(`^(?:` + expr + `)$`)
}

func compileAction(a *routev3.RouteAction, at string, cr *route, clusters map[string]*clusterConfig) error {
	if err := onlyFields(a, at, "cluster", "host_rewrite_literal", "auto_host_rewrite", "timeout", "idle_timeout",
		"retry_policy"); err != nil {
		return err
	}
	cr.cluster = a.GetCluster()
	if cr.cluster == "" {
		return fmt.Errorf("%s: only `cluster` is supported as a route target by the Envoy stand-in", at)
	}
	if clusters[cr.cluster] == nil {
		return fmt.Errorf("%s.cluster: unknown cluster %q", at, cr.cluster)
	}
	cr.hostRewrite = a.GetHostRewriteLiteral()
	cr.autoHost = a.GetAutoHostRewrite().GetValue()
	cr.timeout = defaultRouteTimeout
	if a.GetTimeout() != nil {
		cr.timeout = a.GetTimeout().AsDuration()
	}
	var err error
	cr.retry, err = compileRetryPolicy(a.GetRetryPolicy(), at+".retry_policy")
	return err
}

func compileDirect(d *routev3.DirectResponseAction, at string) (*directResponse, error) {
	if err := onlyFields(d, at, "status", "body"); err != nil {
		return nil, err
	}
	body, err := dataSource(d.GetBody(), at+".body")
	return &directResponse{status: int(d.GetStatus()), body: body}, err
}

func dataSource(ds *corev3.DataSource, at string) ([]byte, error) {
	switch s := ds.GetSpecifier().(type) {
	case nil:
		return nil, nil
	case *corev3.DataSource_InlineString:
		return []byte(s.InlineString), nil
	case *corev3.DataSource_InlineBytes:
		return s.InlineBytes, nil
	case *corev3.DataSource_Filename:
		b, err := os.ReadFile(s.Filename)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", at, err)
		}
		return b, nil
	}
	return nil, fmt.Errorf("%s: data source is not supported by the Envoy stand-in", at)
}

// checkHeadersToAdd accepts literal values only: Envoy's %FORMATTER%s are
// not interpreted by the stand-in.
func checkHeadersToAdd(opts []*corev3.HeaderValueOption, at string) ([]*corev3.HeaderValueOption, error) {
	for i, o := range opts {
		oat := fmt.Sprintf("%s[%d]", at, i)
		if err := onlyFields(o, oat, "header", "append_action", "append"); err != nil {
			return nil, err
		}
		if strings.Contains(o.GetHeader().GetValue(), "%") {
			return nil, fmt.Errorf("%s.header.value: substitution formatters are not supported by the Envoy stand-in", oat)
		}
	}
	return opts, nil
}
