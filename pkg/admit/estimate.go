package admit

import (
	"github.com/sluice-gw/sluice/pkg/pipeline"
	"github.com/sluice-gw/sluice/pkg/tokens"
)

// Estimator estimates a request's input tokens before it is sent, for the
// model that will serve it (the provider's model name). Admission charges
// the estimate; the response's real usage corrects it.
type Estimator interface {
	InputTokens(x *pipeline.Exchange, upstreamModel string) int64
}

// Approx charges one token per four bytes of body: no tokenizing, and an
// over-estimate for typical JSON. It is what requests without token
// limits are charged, since nothing is then decided on the number.
type Approx struct{}

// InputTokens implements Estimator.
func (Approx) InputTokens(x *pipeline.Exchange, _ string) int64 {
	return int64(tokens.Approx(x.Request.Body))
}

// Tokenizer counts with OpenAI's tokenizers and each provider's framing
// rules (pkg/tokens), approximated for providers whose tokenizer is not
// public. Anthropic-native /v1/messages bodies are read as they are; a
// body that cannot be read is charged by Approx.
type Tokenizer struct{ est tokens.Estimator }

// InputTokens implements Estimator.
func (t *Tokenizer) InputTokens(x *pipeline.Exchange, upstreamModel string) int64 {
	p := tokens.ForModel(upstreamModel)
	scope := memoScope(x)
	var (
		e   tokens.Estimate
		err error
	)
	switch x.API {
	case pipeline.APIChat:
		e, err = t.est.EstimateChatFor(x.Request.Body, p, scope)
	case pipeline.APIEmbeddings:
		e, err = t.est.EstimateEmbeddings(x.Request.Body, p)
	case pipeline.APIMessages:
		e, err = t.est.EstimateMessagesFor(x.Request.Body, p, scope)
	default:
		return Approx{}.InputTokens(x, upstreamModel)
	}
	if err != nil {
		return Approx{}.InputTokens(x, upstreamModel)
	}
	return int64(e.Tokens)
}

// outputAllowance is the output charged at admission: max_tokens (times
// n, for several choices) or the configured default. Embeddings produce
// no output tokens.
func outputAllowance(x *pipeline.Exchange) int64 {
	if x.API == pipeline.APIEmbeddings {
		return 0
	}
	out := x.Config.Limits.DefaultOutputTokens
	if x.Summary.MaxTokens > 0 {
		out = int64(x.Summary.MaxTokens)
	}
	if n, ok := x.Summary.Parameters["n"].(float64); ok && n > 1 {
		out *= int64(min(n, 128))
	}
	return out
}

// memoScope is the scope the token memo remembers x's counts in: its
// caller's tenant, so no tenant's requests are sped up by what another
// sent (pkg/tokens/memo.go).
func memoScope(x *pipeline.Exchange) string {
	if x.Identity == nil {
		return ""
	}
	return x.Identity.Tenant
}
