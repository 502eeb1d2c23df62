// Package route is the last request stage and the first response stage. On
// the request it resolves the public model to a backend, has that
// provider's translator build the upstream body, path and credentials, and
// asks Envoy to re-route on x-sluice-backend. On the response it runs the
// same translator in reverse, buffered or event by event.
package route

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/sluice-gw/sluice/pkg/config"
	"github.com/sluice-gw/sluice/pkg/gwerror"
	"github.com/sluice-gw/sluice/pkg/pipeline"
	"github.com/sluice-gw/sluice/pkg/translate"
)

// BackendHeader is the header Envoy's routes match to pick a provider
// cluster (or a fallback chain's aggregate cluster).
const BackendHeader = "x-sluice-backend"

// clientCredentials are stripped from every upstream request so a gateway
// key is never forwarded to a provider. Provider credentials set by the
// translator replace them.
var clientCredentials = []string{"authorization", "x-api-key", "api-key", "x-goog-api-key", "proxy-authorization"}

// Translators maps each provider family to its translator. It is built by
// explicit registration at startup.
type Translators map[translate.Provider]translate.Translator

// Register adds a translator and rejects duplicates, which would otherwise
// silently shadow one another.
func (ts Translators) Register(p translate.Provider, t translate.Translator) error {
	if _, dup := ts[p]; dup {
		return fmt.Errorf("route: translator for %q registered twice", p)
	}
	ts[p] = t
	return nil
}

// Stage routes and translates.
type Stage struct{ translators Translators }

// New returns the route stage.
func New(ts Translators) *Stage { return &Stage{translators: ts} }

// Name implements pipeline.RequestStage and pipeline.ResponseStage.
func (*Stage) Name() string { return "route" }

// candidate is one concrete place a request can be served.
type candidate struct {
	model   *config.Model
	backend *config.Backend
	tr      translate.Translator
	target  translate.Target
}

// resolve finds where a public model is served, honouring a backend
// override from policy.
func (s *Stage) resolve(cfg *config.Snapshot, name, backend string) (candidate, error) {
	m, ok := cfg.Model(name)
	if !ok {
		return candidate{}, gwerror.UnknownModel(name)
	}
	c := candidate{model: m, backend: m.Backend, target: m.Target()}
	if backend != "" && backend != m.Backend.Name {
		b, ok := cfg.Backends[backend]
		if !ok {
			return candidate{}, gwerror.New(gwerror.Internal, "policy routed model '%s' to unknown backend %q", name, backend)
		}
		c.backend, c.target = b, b.Target
		c.target.Model, c.target.Deployment = m.UpstreamModel, m.Deployment
	}
	if c.backend.Unavailable != nil {
		// The cause (which variable or file is missing) is for operators:
		// it is logged, not shown to the caller.
		return candidate{}, gwerror.Wrap(gwerror.UpstreamUnavailable, c.backend.Unavailable,
			"model '%s' is unavailable: backend %q has no usable credential", name, c.backend.Name)
	}
	if c.tr, ok = s.translators[c.backend.Provider]; !ok {
		return candidate{}, gwerror.New(gwerror.Internal, "no translator for provider %q", c.backend.Provider)
	}
	return c, nil
}

// OnRequest implements pipeline.RequestStage.
func (s *Stage) OnRequest(_ context.Context, x *pipeline.Exchange) error {
	name := x.Model
	if x.Plan.Model != "" {
		name = x.Plan.Model
	}
	c, err := s.resolve(x.Config, name, x.Plan.Backend)
	if err != nil {
		return err
	}
	x.Route, x.Target, x.Translator = c.model, c.target, c.tr
	if len(x.Plan.Fallback) > 0 {
		if chain := s.chain(x, c); chain != nil {
			return s.routeChain(x, chain)
		}
	}
	up, err := s.upstream(x)
	if err != nil {
		return err
	}
	setUpstream(x, up)
	x.Out.Set(BackendHeader, c.backend.Name)
	x.Out.ClearRouteCache = true
	return nil
}

func (s *Stage) upstream(x *pipeline.Exchange) (*translate.Upstream, error) {
	if x.API == pipeline.APIMessages {
		return s.messagesUpstream(x)
	}
	return x.Translator.Request(&x.Request, &x.Target)
}

// setUpstream writes a translated request into the mutation: path,
// provider headers, the client's credentials removed, and the new body.
func setUpstream(x *pipeline.Exchange, up *translate.Upstream) {
	out := &x.Out
	out.Set(":path", up.Path)
	for _, h := range up.Headers {
		out.Set(h.Key, h.Value)
	}
	removeClientCredentials(x, up)
	// Sluice must read what the provider sends back; a client's gzip
	// preference would hand it compressed bytes it cannot translate.
	// Envoy's compressor can still compress toward the client.
	if !setsHeader(up, "accept-encoding") {
		out.Set("accept-encoding", "identity")
	}
	if !pipeline.SameBytes(up.Body, x.Request.Body) {
		out.Set("content-length", strconv.Itoa(len(up.Body)))
		out.Body, out.ReplaceBody = up.Body, true
	}
}

// removeClientCredentials strips what identifies the caller to Sluice:
// credentials, and the headers a trusted front uses to name the caller
// (x-sluice-* and the configured trusted headers), unless up sets them.
// Providers get the provider's credential, never the caller's.
func removeClientCredentials(x *pipeline.Exchange, up *translate.Upstream) {
	for _, h := range clientCredentials {
		if !setsHeader(up, h) && x.Header.Get(h) != "" {
			x.Out.Remove(h)
		}
	}
	th := x.Config.Identity.TrustedHeaders
	trusted := [...]string{th.Tenant, th.User, th.Team, th.Roles}
	for _, h := range x.Header {
		if setsHeader(up, h.Key) || h.Key == BackendHeader {
			continue // set by Sluice itself in this same response
		}
		if strings.HasPrefix(h.Key, "x-sluice-") || slices.Contains(trusted[:], h.Key) && h.Key != "" {
			x.Out.Remove(h.Key)
		}
	}
}
