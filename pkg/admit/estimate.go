package admit

import (
	"hash/maphash"

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

// InputTokens implements Estimator. It takes the count made for the
// policy (ForPolicy) when the body and the model are the ones counted
// then: a redaction, a decorator or a route to another model since means
// counting again.
func (t *Tokenizer) InputTokens(x *pipeline.Exchange, upstreamModel string) int64 {
	if c := x.Tokens; c.BodyHash != 0 && c.Upstream == upstreamModel && c.BodyHash == bodyHash(x.Request.Body) {
		return c.Tokens
	}
	return t.count(x, upstreamModel)
}

// ForPolicy is the policy's input.request.input_tokens_estimate: the
// request's input tokens for the model the client asked for, before the
// policy routes it; 0 for calls that are not model calls. The count is
// kept on the exchange for admission.
func (t *Tokenizer) ForPolicy(x *pipeline.Exchange) int64 {
	if !ModelCall(x.API) {
		return 0
	}
	up := ServedBy(x).Upstream
	n := t.count(x, up)
	x.Tokens = pipeline.TokenCount{Tokens: n, Upstream: up, BodyHash: bodyHash(x.Request.Body)}
	return n
}

// bodySeed keys bodyHash for this process.
var bodySeed = maphash.MakeSeed()

// bodyHash identifies a body: hashing it costs a small fraction of
// counting it, and no stage that rewrites the body has to say so. It is
// never 0, which marks an exchange nothing was counted for.
func bodyHash(b []byte) uint64 { return maphash.Bytes(bodySeed, b) | 1 }

func (t *Tokenizer) count(x *pipeline.Exchange, upstreamModel string) int64 {
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
