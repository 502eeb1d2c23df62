// Package route is the last request stage and the first response stage. On
// the request it resolves the public model to a backend, has that
// provider's translator build the upstream body, path and credentials, and
// asks Envoy to re-route on x-sluice-backend. On the response it runs the
// same translator in reverse, buffered or event by event.
package route

import (
	"context"
	"fmt"
	"strconv"

	"github.com/sluice-gw/sluice/pkg/gwerror"
	"github.com/sluice-gw/sluice/pkg/pipeline"
	"github.com/sluice-gw/sluice/pkg/translate"
)

// BackendHeader is the header Envoy's routes match to pick a provider
// cluster.
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

// OnRequest implements pipeline.RequestStage.
func (s *Stage) OnRequest(_ context.Context, x *pipeline.Exchange) error {
	m, ok := x.Config.Model(x.Model)
	if !ok {
		return gwerror.Param(gwerror.ModelNotFound, "model", "The model '%s' does not exist or you do not have access to it.", x.Model)
	}
	if m.Backend.Unavailable != nil {
		// The cause (which variable or file is missing) is for operators:
		// it is logged, not shown to the caller.
		return gwerror.Wrap(gwerror.UpstreamUnavailable, m.Backend.Unavailable,
			"model '%s' is unavailable: backend %q has no usable credential", x.Model, m.Backend.Name)
	}
	tr, ok := s.translators[m.Backend.Provider]
	if !ok {
		return gwerror.New(gwerror.Internal, "no translator for provider %q", m.Backend.Provider)
	}
	x.Route, x.Target, x.Translator = m, m.Target(), tr
	up, err := s.upstream(x)
	if err != nil {
		return err
	}
	out := &x.Out
	out.Set(BackendHeader, m.Backend.Name)
	out.Set(":path", up.Path)
	set := map[string]bool{}
	for _, h := range up.Headers {
		out.Set(h.Key, h.Value)
		set[h.Key] = true
	}
	for _, h := range clientCredentials {
		if !set[h] && x.Header.Get(h) != "" {
			out.Remove(h)
		}
	}
	// Sluice must read what the provider sends back; a client's gzip
	// preference would hand it compressed bytes it cannot translate.
	// Envoy's compressor can still compress toward the client.
	if !set["accept-encoding"] {
		out.Set("accept-encoding", "identity")
	}
	out.Set("content-length", strconv.Itoa(len(up.Body)))
	out.Body, out.ReplaceBody = up.Body, true
	out.ClearRouteCache = true
	return nil
}

func (s *Stage) upstream(x *pipeline.Exchange) (*translate.Upstream, error) {
	if x.API == pipeline.APIMessages {
		return s.messagesUpstream(x)
	}
	return x.Translator.Request(&x.Request, &x.Target)
}
