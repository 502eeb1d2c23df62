package route

import (
	"context"
	"net/http"
	"strings"

	"github.com/sluice-gw/sluice/pkg/gwerror"
	"github.com/sluice-gw/sluice/pkg/pipeline"
)

// OnResponseHeaders implements pipeline.ResponseStage. It decides between
// buffered translation (JSON and every error) and event-by-event streaming.
func (s *Stage) OnResponseHeaders(_ context.Context, x *pipeline.Exchange) error {
	if x.Chain != "" {
		s.chainResponse(x)
	}
	if x.Translator == nil {
		return nil // answered before routing; nothing to translate
	}
	if !success(x.Status) {
		return nil // errors are buffered and rewritten whole
	}
	if x.Request.Stream && s.isStream(x) {
		x.Streaming = true
		x.Stream = s.newStream(x)
		x.Out.StreamBody = true
		x.Out.Set("content-type", "text/event-stream")
		x.Out.Set("cache-control", "no-cache")
		x.Out.Remove("content-length")
		return nil
	}
	x.Out.Set("content-type", "application/json")
	return nil
}

func (s *Stage) isStream(x *pipeline.Exchange) bool {
	ct := x.ContentType
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	return strings.EqualFold(strings.TrimSpace(ct), x.Translator.StreamContentType())
}

// OnResponseBody implements pipeline.ResponseStage.
func (s *Stage) OnResponseBody(_ context.Context, x *pipeline.Exchange, chunk []byte, end bool) ([]byte, error) {
	if x.Translator == nil {
		return chunk, nil
	}
	if x.Streaming {
		out, err := x.Stream.Feed(chunk, end)
		if end {
			x.Usage = x.Stream.Usage()
		}
		// A broken provider stream has already been turned into a final
		// SSE error event inside out; the client gets that, not a reset.
		_ = err
		return out, nil
	}
	if !success(x.Status) {
		return nil, s.providerError(x, chunk)
	}
	return s.translateBody(x, chunk)
}

func (s *Stage) providerError(x *pipeline.Exchange, body []byte) error {
	h := make(http.Header, len(x.RespHeader))
	for _, kv := range x.RespHeader {
		h.Add(kv.Key, kv.Value)
	}
	err := x.Translator.Error(x.Status, h, body)
	if err == nil {
		err = gwerror.New(gwerror.UpstreamError, "provider returned HTTP %d", x.Status)
	}
	return err
}
