package route

import (
	"context"

	"github.com/sluice-gw/sluice/pkg/gwerror"
	"github.com/sluice-gw/sluice/pkg/pipeline"
	"github.com/sluice-gw/sluice/pkg/translate"
)

// Attempt serves the ext_proc filter in a provider cluster's upstream
// filter chain: Envoy runs it once per attempt of a fallback chain, so each
// attempt is translated, and credentialed, for its own provider.
type Attempt struct{ s *Stage }

// NewAttempt returns the per-attempt stage sharing s's translators.
func NewAttempt(s *Stage) *Attempt { return &Attempt{s: s} }

// Name implements pipeline.RequestStage and pipeline.ResponseStage.
func (*Attempt) Name() string { return "attempt" }

// OnRequest implements pipeline.RequestStage.
func (a *Attempt) OnRequest(_ context.Context, x *pipeline.Exchange) error {
	model := fallbackModel(metadataString(x, FallbackMetadata), x.Attempt)
	if model == "" {
		// An immediate response from an upstream filter ends the request;
		// this only happens when Envoy's chain and Sluice's config disagree.
		return gwerror.New(gwerror.Internal, "fallback attempt to backend %q has no model", x.Attempt)
	}
	c, err := a.s.resolve(x.Config, model, x.Attempt)
	if err != nil {
		return err
	}
	x.Route, x.Target, x.Translator = c.model, c.target, c.tr
	up, err := c.tr.Request(&x.Request, &c.target)
	if err != nil {
		return err
	}
	setUpstream(x, up)
	// Attempts share one header map: drop what an earlier attempt set for
	// another provider and this one does not replace.
	for _, h := range providerHeaders {
		if x.Header.Get(h) != "" && !setsHeader(up, h) {
			x.Out.Remove(h)
		}
	}
	return nil
}

// providerHeaders are every header a translator may set.
var providerHeaders = []string{"authorization", "x-api-key", "api-key", "x-goog-api-key", "anthropic-version",
	"anthropic-beta", "x-amz-date", "x-amz-security-token", "x-amz-content-sha256"}

// setsHeader reports whether the translated request up (nil: none) sets
// key.
func setsHeader(up *translate.Upstream, key string) bool {
	if up == nil {
		return false
	}
	for _, h := range up.Headers {
		if h.Key == key {
			return true
		}
	}
	return false
}

func metadataString(x *pipeline.Exchange, key string) string {
	ns := x.FilterMetadata[pipeline.MetadataNamespace]
	if ns == nil {
		return ""
	}
	return ns.GetFields()[key].GetStringValue()
}

// OnResponseHeaders implements pipeline.ResponseStage. Errors pass through
// untranslated so Envoy's router can still retry on the next member.
func (a *Attempt) OnResponseHeaders(ctx context.Context, x *pipeline.Exchange) error {
	x.Out.Set(ServedByHeader, x.Attempt)
	if !success(x.Status) {
		return nil
	}
	x.Out.Set(TranslatedHeader, "1")
	return a.s.OnResponseHeaders(ctx, x)
}

// OnResponseBody implements pipeline.ResponseStage.
func (a *Attempt) OnResponseBody(ctx context.Context, x *pipeline.Exchange, chunk []byte, end bool) ([]byte, error) {
	if !success(x.Status) {
		return chunk, nil
	}
	return a.s.OnResponseBody(ctx, x, chunk, end)
}

func success(status int) bool { return status >= 200 && status <= 299 }
