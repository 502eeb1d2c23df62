package route

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/tidwall/gjson"

	"github.com/sluice-gw/sluice/pkg/config"
	"github.com/sluice-gw/sluice/pkg/pipeline"
	"github.com/sluice-gw/sluice/pkg/translate"
	"github.com/sluice-gw/sluice/pkg/translate/anthropic"
)

// The fallback contract between Sluice's router-chain filter and its
// per-attempt upstream filter (docs/envoy.md, "Fallback").
const (
	// FallbackMetadata is the dynamic metadata key (namespace sluice) with
	// backend=model pairs for every chain member. Metadata, not a header:
	// Envoy shares one request header map across attempts, so anything an
	// attempt removed would be gone for the next one.
	FallbackMetadata = "fallback"
	// ServedByHeader names the backend an attempt went to, on responses.
	ServedByHeader = "x-sluice-upstream-backend"
	// TranslatedHeader marks a response the attempt already translated.
	TranslatedHeader = "x-sluice-translated"
)

// chainPlan is a fallback chain with the model each member serves.
type chainPlan struct {
	chain  *config.FallbackChain
	models map[string]string // backend → public model
}

// chain finds the configured chain (an Envoy aggregate cluster) whose
// members are exactly the plan's distinct backends, in order. Envoy cannot
// invent aggregate clusters per request, so a plan with no matching chain
// is served by its first target alone.
func (s *Stage) chain(x *pipeline.Exchange, primary candidate) *chainPlan {
	seq := []string{primary.backend.Name}
	models := map[string]string{primary.backend.Name: primary.model.Name}
	for _, t := range x.Plan.Fallback {
		c, err := s.resolve(x.Config, t.Model, t.Backend)
		if err != nil {
			continue // an unknown or unavailable fallback is skipped, not fatal
		}
		if _, dup := models[c.backend.Name]; dup {
			continue
		}
		seq = append(seq, c.backend.Name)
		models[c.backend.Name] = c.model.Name
	}
	if len(seq) < 2 {
		return nil
	}
	for _, ch := range x.Config.FallbackChains {
		if sameBackends(ch.Backends, seq) {
			return &chainPlan{chain: ch, models: models}
		}
	}
	return nil
}

func sameBackends(bs []*config.Backend, names []string) bool {
	if len(bs) != len(names) {
		return false
	}
	for i, b := range bs {
		if b.Name != names[i] {
			return false
		}
	}
	return true
}

// routeChain sends the request, still in OpenAI shape, to the chain's
// aggregate cluster. Each attempt's upstream filter translates it for its
// own provider.
func (s *Stage) routeChain(x *pipeline.Exchange, p *chainPlan) error {
	x.Chain = p.chain.Name
	if x.API == pipeline.APIMessages {
		body, err := anthropic.FromMessages(x.Request.Body)
		if err != nil {
			return err
		}
		x.Request.Body = body
		x.Request.IncludeUsage = gjson.GetBytes(body, "stream_options.include_usage").Type == gjson.True
		x.Out.Body, x.Out.ReplaceBody = body, true
		x.Out.Set("content-length", strconv.Itoa(len(body)))
	}
	pairs := make([]string, 0, len(p.chain.Backends))
	for _, b := range p.chain.Backends {
		// Translate for every member now: a parameter one provider cannot
		// honour must be a clean 400 here, because Envoy ignores local
		// replies from upstream filters and the attempt would stall.
		c, err := s.resolve(x.Config, p.models[b.Name], b.Name)
		if err != nil {
			return err
		}
		if _, err := c.tr.Request(&x.Request, &c.target); err != nil {
			return err
		}
		pairs = append(pairs, b.Name+"="+url.QueryEscape(p.models[b.Name]))
	}
	out := &x.Out
	out.Set(BackendHeader, p.chain.Name)
	out.SetMetadata(FallbackMetadata, strings.Join(pairs, ","))
	out.Set(":path", "/v1/chat/completions")
	out.Set("accept-encoding", "identity")
	removeClientCredentials(x, nil)
	out.ClearRouteCache = true
	return nil
}

// fallbackModel reads the model a backend serves from the FallbackMetadata value.
func fallbackModel(header, backend string) string {
	for _, pair := range strings.Split(header, ",") {
		b, m, ok := strings.Cut(pair, "=")
		if ok && b == backend {
			if v, err := url.QueryUnescape(m); err == nil {
				return v
			}
		}
	}
	return ""
}

// chainResponse picks how to read a fallback chain's response: already
// translated by the winning attempt, or an untranslated provider error
// from the last attempt.
func (s *Stage) chainResponse(x *pipeline.Exchange) {
	x.Out.Remove(TranslatedHeader)
	x.Out.Remove(ServedByHeader)
	if x.RespHeader.Get(TranslatedHeader) == "1" {
		x.Translator = s.translators[translate.OpenAI]
		return
	}
	if b, ok := x.Config.Backends[x.RespHeader.Get(ServedByHeader)]; ok {
		x.Translator = s.translators[b.Provider]
		return
	}
	// Envoy's own reply (no healthy upstream, timeout): read as OpenAI,
	// which turns a non-JSON body into a clean 502.
	x.Translator = s.translators[translate.OpenAI]
}
