package route

import (
	"github.com/sluice-gw/sluice/pkg/pipeline"
	"github.com/sluice-gw/sluice/pkg/translate"
)

// translateBody converts a complete 2xx provider body into the client's
// format.
func (s *Stage) translateBody(x *pipeline.Exchange, body []byte) ([]byte, error) {
	if x.Native {
		return nativeBody(x, body)
	}
	resp, err := x.Translator.Response(&x.Request, body)
	if err != nil {
		return nil, err
	}
	x.Usage = resp.Usage
	if x.API == pipeline.APIMessages {
		return messagesBody(resp.Body)
	}
	return resp.Body, nil
}

// newStream starts the per-response stream translator chain.
func (s *Stage) newStream(x *pipeline.Exchange) translate.StreamTranslator {
	if x.Native {
		return nativeStream(x)
	}
	st := x.Translator.Stream(&x.Request)
	if x.API == pipeline.APIMessages {
		return messagesStream(x, st)
	}
	return st
}
