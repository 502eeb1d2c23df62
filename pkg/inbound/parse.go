package inbound

import (
	"context"

	"github.com/tidwall/gjson"

	"github.com/sluice-gw/sluice/pkg/gwerror"
	"github.com/sluice-gw/sluice/pkg/pipeline"
	"github.com/sluice-gw/sluice/pkg/translate"
)

// Parse is the request stage that validates the body and fills the
// request summary.
type Parse struct{}

// Name implements pipeline.RequestStage.
func (Parse) Name() string { return "parse" }

// OnRequest implements pipeline.RequestStage.
func (Parse) OnRequest(_ context.Context, x *pipeline.Exchange) error {
	if x.API == pipeline.APIModels {
		return nil // GET: no body
	}
	body := x.Request.Body
	if len(body) == 0 {
		return gwerror.New(gwerror.InvalidJSON, "request body is empty; expected a JSON object")
	}
	if !gjson.ValidBytes(body) {
		return gwerror.New(gwerror.InvalidJSON, "request body is not valid JSON")
	}
	root := gjson.ParseBytes(body)
	if !root.IsObject() {
		return gwerror.New(gwerror.InvalidJSON, "request body must be a JSON object")
	}
	model := root.Get("model")
	if model.Type != gjson.String || model.Str == "" {
		return gwerror.Param(gwerror.MissingField, "model", "'model' is required and must be a non-empty string")
	}
	x.Model = model.Str
	switch x.API {
	case pipeline.APIChat, pipeline.APIMessages:
		x.Request.Op = translate.Chat
		if msgs := root.Get("messages"); !msgs.IsArray() || !msgs.Get("0").Exists() {
			return gwerror.Param(gwerror.MissingField, "messages", "'messages' is required and must be a non-empty array")
		}
	case pipeline.APIEmbeddings:
		x.Request.Op = translate.Embeddings
		if in := root.Get("input"); !in.Exists() || in.Type == gjson.Null {
			return gwerror.Param(gwerror.MissingField, "input", "'input' is required")
		}
	}
	stream := root.Get("stream")
	if stream.Exists() && stream.Type != gjson.True && stream.Type != gjson.False && stream.Type != gjson.Null {
		return gwerror.Param(gwerror.InvalidRequest, "stream", "'stream' must be a boolean")
	}
	x.Request.Stream = stream.Type == gjson.True
	x.Request.IncludeUsage = root.Get("stream_options.include_usage").Type == gjson.True
	summarize(x, root)
	return nil
}
