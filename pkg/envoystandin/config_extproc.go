package envoystandin

import (
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"
	"time"

	rulesv3 "github.com/envoyproxy/go-control-plane/envoy/config/common/mutation_rules/v3"
	extprocfilterv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/ext_proc/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	"google.golang.org/protobuf/types/known/anypb"
)

// defaultMessageTimeout is Envoy's message_timeout default.
const defaultMessageTimeout = 200 * time.Millisecond

type extProcConfig struct {
	cluster           string
	authority         string
	initialMetadata   []header
	maxRecv           int
	failureModeAllow  bool
	mode              procMode
	messageTimeout    time.Duration
	maxMessageTimeout time.Duration // 0: override_message_timeout disabled

	rules              *mutationRules
	forward            func(string) bool
	allowModeOverride  bool
	allowedOverrides   []procMode
	forwardNamespaces  []string
	receiveNamespaces  []string
	requestAttributes  []string
	responseAttributes []string
	statusOnError      int
	allowContentLength bool
}

// procMode is a ProcessingMode with Envoy's defaults resolved.
type procMode struct {
	reqHeaders, respHeaders   bool
	reqBody, respBody         extprocfilterv3.ProcessingMode_BodySendMode
	reqTrailers, respTrailers bool
}

func modeOf(p *extprocfilterv3.ProcessingMode) procMode {
	return procMode{
		reqHeaders:   p.GetRequestHeaderMode() != extprocfilterv3.ProcessingMode_SKIP,
		respHeaders:  p.GetResponseHeaderMode() != extprocfilterv3.ProcessingMode_SKIP,
		reqBody:      p.GetRequestBodyMode(),
		respBody:     p.GetResponseBodyMode(),
		reqTrailers:  p.GetRequestTrailerMode() == extprocfilterv3.ProcessingMode_SEND,
		respTrailers: p.GetResponseTrailerMode() == extprocfilterv3.ProcessingMode_SEND,
	}
}

var extProcFields = []string{
	"grpc_service", "failure_mode_allow", "processing_mode", "request_attributes", "response_attributes",
	"message_timeout", "max_message_timeout", "stat_prefix", "mutation_rules", "forward_rules",
	"allow_mode_override", "allowed_override_modes", "metadata_options", "status_on_error",
	"allow_content_length_header", "emit_client_span", "deferred_close_timeout",
}

func compileExtProc(a *anypb.Any, at string, clusters map[string]*clusterConfig) (*extProcConfig, error) {
	p := &extprocfilterv3.ExternalProcessor{}
	if err := unpack(a, at, p); err != nil {
		return nil, err
	}
	at += ".typed_config"
	if err := onlyFields(p, at, extProcFields...); err != nil {
		return nil, err
	}
	ep := &extProcConfig{
		failureModeAllow:   p.GetFailureModeAllow(),
		mode:               modeOf(p.GetProcessingMode()),
		messageTimeout:     defaultMessageTimeout,
		maxMessageTimeout:  p.GetMaxMessageTimeout().AsDuration(),
		allowModeOverride:  p.GetAllowModeOverride(),
		forwardNamespaces:  p.GetMetadataOptions().GetForwardingNamespaces().GetUntyped(),
		receiveNamespaces:  p.GetMetadataOptions().GetReceivingNamespaces().GetUntyped(),
		requestAttributes:  p.GetRequestAttributes(),
		responseAttributes: p.GetResponseAttributes(),
		statusOnError:      http.StatusInternalServerError,
		allowContentLength: p.GetAllowContentLengthHeader(),
	}
	if p.GetMessageTimeout() != nil {
		ep.messageTimeout = p.GetMessageTimeout().AsDuration()
	}
	if c := p.GetStatusOnError().GetCode(); c != 0 {
		ep.statusOnError = int(c)
	}
	if err := ep.compileChecks(p, at, clusters); err != nil {
		return nil, err
	}
	for _, m := range p.GetAllowedOverrideModes() {
		ep.allowedOverrides = append(ep.allowedOverrides, modeOf(m))
	}
	return ep, nil
}

func (ep *extProcConfig) compileChecks(p *extprocfilterv3.ExternalProcessor, at string, clusters map[string]*clusterConfig) error {
	if err := ep.compileGrpc(p, at+".grpc_service", clusters); err != nil {
		return err
	}
	if err := checkModes(p, at); err != nil {
		return err
	}
	if err := checkMetadata(p, at+".metadata_options"); err != nil {
		return err
	}
	if err := checkAttributes(ep.requestAttributes, at+".request_attributes"); err != nil {
		return err
	}
	if err := checkAttributes(ep.responseAttributes, at+".response_attributes"); err != nil {
		return err
	}
	var err error
	if ep.rules, err = compileRules(p.GetMutationRules(), at+".mutation_rules"); err != nil {
		return err
	}
	ep.forward, err = compileForward(p.GetForwardRules(), at+".forward_rules")
	return err
}

func (ep *extProcConfig) compileGrpc(p *extprocfilterv3.ExternalProcessor, at string, clusters map[string]*clusterConfig) error {
	gs := p.GetGrpcService()
	if err := onlyFields(gs, at, "envoy_grpc", "timeout", "initial_metadata"); err != nil {
		return err
	}
	eg := gs.GetEnvoyGrpc()
	if eg == nil {
		return fmt.Errorf("%s: only envoy_grpc is supported by the Envoy stand-in", at)
	}
	if err := onlyFields(eg, at+".envoy_grpc", "cluster_name", "authority", "max_receive_message_length"); err != nil {
		return err
	}
	ep.cluster, ep.authority = eg.GetClusterName(), eg.GetAuthority()
	if ep.authority == "" {
		ep.authority = ep.cluster
	}
	if clusters[ep.cluster] == nil {
		return fmt.Errorf("%s.envoy_grpc.cluster_name: unknown cluster %q", at, ep.cluster)
	}
	if err := grpcClusterCheck(clusters[ep.cluster], at+".envoy_grpc.cluster_name"); err != nil {
		return err
	}
	ep.maxRecv = math.MaxInt32 // Envoy's default: unlimited
	if v := eg.GetMaxReceiveMessageLength(); v != nil && v.GetValue() > 0 {
		ep.maxRecv = int(v.GetValue())
	}
	for _, h := range gs.GetInitialMetadata() {
		ep.initialMetadata = append(ep.initialMetadata, header{strings.ToLower(h.GetKey()), h.GetValue()})
	}
	return nil
}

// checkModes refuses body modes the stand-in does not drive, and trailer
// processing: the stand-in forwards no trailers.
func checkModes(p *extprocfilterv3.ExternalProcessor, at string) error {
	m := modeOf(p.GetProcessingMode())
	for _, b := range []extprocfilterv3.ProcessingMode_BodySendMode{m.reqBody, m.respBody} {
		if b == extprocfilterv3.ProcessingMode_FULL_DUPLEX_STREAMED || b == extprocfilterv3.ProcessingMode_GRPC {
			return fmt.Errorf("%s.processing_mode: body mode %s is not supported by the Envoy stand-in", at, b)
		}
	}
	if m.reqTrailers || m.respTrailers {
		return fmt.Errorf("%s.processing_mode: trailer mode SEND is not supported by the Envoy stand-in", at)
	}
	return nil
}

func checkMetadata(p *extprocfilterv3.ExternalProcessor, at string) error {
	mo := p.GetMetadataOptions()
	if len(mo.GetForwardingNamespaces().GetTyped()) > 0 || len(mo.GetReceivingNamespaces().GetTyped()) > 0 ||
		mo.GetClusterMetadataForwardingNamespaces() != nil {
		return fmt.Errorf("%s: only untyped forwarding and receiving namespaces are supported by the Envoy stand-in", at)
	}
	return nil
}

// attributeNames are the attributes the stand-in can produce.
var attributeNames = []string{
	"source.address", "source.port", "destination.address", "destination.port",
	"request.id", "request.method", "request.path", "request.host", "request.scheme", "request.protocol",
	"xds.route_name", "xds.cluster_name", "connection.mtls", "connection.uri_san_peer_certificate",
	"response.code",
}

func checkAttributes(names []string, at string) error {
	for i, n := range names {
		if !slices.Contains(attributeNames, n) {
			return fmt.Errorf("%s[%d]: attribute %q is not supported by the Envoy stand-in", at, i, n)
		}
	}
	return nil
}

func compileRules(r *rulesv3.HeaderMutationRules, at string) (*mutationRules, error) {
	m := &mutationRules{
		allowAllRouting: r.GetAllowAllRouting().GetValue(),
		allowEnvoy:      r.GetAllowEnvoy().GetValue(),
		disallowSystem:  r.GetDisallowSystem().GetValue(),
		disallowAll:     r.GetDisallowAll().GetValue(),
		disallowIsError: r.GetDisallowIsError().GetValue(),
	}
	var err error
	if r.GetAllowExpression() != nil {
		if m.allow, err = fullMatchRegexp(r.GetAllowExpression().GetRegex()); err != nil {
			return nil, fmt.Errorf("%s.allow_expression: %w", at, err)
		}
	}
	if r.GetDisallowExpression() != nil {
		if m.disallow, err = fullMatchRegexp(r.GetDisallowExpression().GetRegex()); err != nil {
			return nil, fmt.Errorf("%s.disallow_expression: %w", at, err)
		}
	}
	return m, nil
}

// compileForward follows Envoy: a header is forwarded unless a disallowed
// pattern matches, and, when allowed patterns exist, only if one matches.
func compileForward(r *extprocfilterv3.HeaderForwardingRules, at string) (func(string) bool, error) {
	allowed, err := compileList(r.GetAllowedHeaders(), at+".allowed_headers")
	if err != nil {
		return nil, err
	}
	disallowed, err := compileList(r.GetDisallowedHeaders(), at+".disallowed_headers")
	if err != nil {
		return nil, err
	}
	anyOf := func(fs []func(string) bool, k string) bool {
		return slices.ContainsFunc(fs, func(f func(string) bool) bool { return f(k) })
	}
	return func(k string) bool {
		if anyOf(disallowed, k) {
			return false
		}
		return len(allowed) == 0 || anyOf(allowed, k)
	}, nil
}

func compileList(l *matcherv3.ListStringMatcher, at string) ([]func(string) bool, error) {
	var out []func(string) bool
	for i, p := range l.GetPatterns() {
		f, err := compileStringMatcher(p, fmt.Sprintf("%s.patterns[%d]", at, i))
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}
