package prompt

import (
	"context"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"

	"github.com/sluice-gw/sluice/pkg/pipeline"
)

// OutputError is the "output_error" of an answer whose content is not the
// JSON the template's schema asked for; "output" is then null.
const OutputError = "the answer's content is not valid JSON"

// OnResponseHeaders implements pipeline.ResponseStage.
func (*Stage) OnResponseHeaders(context.Context, *pipeline.Exchange) error { return nil }

// OnResponseBody implements pipeline.ResponseStage. A non-streamed answer
// to a template call whose template has a response_format gets "output":
// the answer's content parsed as JSON. Content that does not parse gives
// "output": null and "output_error", never an error: the client still has
// the whole answer.
func (s *Stage) OnResponseBody(_ context.Context, x *pipeline.Exchange, chunk []byte, end bool) ([]byte, error) {
	if !end || x.Streaming || x.Status < 200 || x.Status > 299 {
		return chunk, nil
	}
	if _, ok := s.outputs.Load(x); !ok {
		return chunk, nil
	}
	return addOutput(chunk), nil
}

func addOutput(body []byte) []byte {
	if !gjson.ValidBytes(body) {
		return body
	}
	content := gjson.GetBytes(body, "choices.0.message.content")
	var out []byte
	var err error
	if content.Type == gjson.String && gjson.Valid(content.Str) {
		out, err = sjson.SetRawBytes(body, "output", []byte(content.Str))
	} else {
		out, err = sjson.SetRawBytes(body, "output", []byte("null"))
		if err == nil {
			out, err = sjson.SetBytes(out, "output_error", OutputError)
		}
	}
	if err != nil {
		return body // the answer as the provider gave it beats none
	}
	return out
}
