package route

import (
	"github.com/tidwall/gjson"

	"github.com/sluice-gw/sluice/pkg/pipeline"
	"github.com/sluice-gw/sluice/pkg/translate"
	"github.com/sluice-gw/sluice/pkg/translate/anthropic"
)

// messagesUpstream serves Anthropic-native clients. To an Anthropic backend
// the body passes through untouched but for the model, keeping features
// the OpenAI shape cannot carry (cache_control, thinking). To any other
// provider it is converted to the OpenAI shape and translated as usual.
func (s *Stage) messagesUpstream(x *pipeline.Exchange) (*translate.Upstream, error) {
	if x.Target.Provider == translate.Anthropic {
		x.Native = true
		up, err := anthropic.PassthroughRequest(x.Request.Body, &x.Target)
		if err != nil {
			return nil, err
		}
		// Beta features are opted into per request by the client.
		if beta := x.Header.Get("anthropic-beta"); beta != "" {
			up.Headers = append(up.Headers, translate.Header{Key: "anthropic-beta", Value: beta})
		}
		return up, nil
	}
	body, err := anthropic.FromMessages(x.Request.Body)
	if err != nil {
		return nil, err
	}
	x.Request.Body = body
	// The converted body asks for usage itself (Anthropic clients always
	// get it in message_delta), so the provider's usage chunk must reach
	// the Messages converter rather than be stripped.
	x.Request.IncludeUsage = gjson.GetBytes(body, "stream_options.include_usage").Type == gjson.True
	return x.Translator.Request(&x.Request, &x.Target)
}

// nativeBody passes an Anthropic reply through to an Anthropic client.
func nativeBody(x *pipeline.Exchange, body []byte) ([]byte, error) {
	resp, err := anthropic.PassthroughResponse(body)
	if err != nil {
		return nil, err
	}
	x.Usage = resp.Usage
	return resp.Body, nil
}

// nativeStream passes Anthropic events through, reading usage on the way.
func nativeStream(_ *pipeline.Exchange) translate.StreamTranslator {
	return anthropic.NewPassthroughStream()
}

func messagesBody(openaiBody []byte) ([]byte, error) {
	return anthropic.ToMessagesResponse(openaiBody)
}

// messagesStream chains the provider's translator (provider → OpenAI
// chunks) with the OpenAI → Anthropic event converter.
func messagesStream(_ *pipeline.Exchange, st translate.StreamTranslator) translate.StreamTranslator {
	return &chain{first: st, second: anthropic.NewMessagesStream()}
}

// chain feeds one stream translator's output into another.
type chain struct {
	first  translate.StreamTranslator
	second interface {
		Feed(chunk []byte, end bool) ([]byte, error)
	}
}

func (c *chain) Feed(chunk []byte, end bool) ([]byte, error) {
	mid, err1 := c.first.Feed(chunk, end)
	out, err2 := c.second.Feed(mid, end)
	if err1 != nil {
		return out, err1
	}
	return out, err2
}

func (c *chain) Usage() translate.Usage { return c.first.Usage() }
