package inbound

import (
	"context"

	"github.com/tidwall/gjson"

	"github.com/sluice-gw/sluice/pkg/gwerror"
	"github.com/sluice-gw/sluice/pkg/pipeline"
	"github.com/sluice-gw/sluice/pkg/translate"
	"github.com/sluice-gw/sluice/pkg/translate/rawjson"
)

// Parse is the request stage that validates the body and fills the
// request summary.
type Parse struct{}

// Name implements pipeline.RequestStage.
func (Parse) Name() string { return "parse" }

// fields are the top-level members Parse needs, found in one walk.
type fields struct {
	model, stream, messages, input, tools gjson.Result
	prompt                                gjson.Result
}

// OnRequest implements pipeline.RequestStage.
func (Parse) OnRequest(_ context.Context, x *pipeline.Exchange) error {
	if x.API == pipeline.APIModels || x.API == pipeline.APIPrompts {
		return nil // GET: no body
	}
	body := x.Request.Body
	if len(body) == 0 {
		return gwerror.New(gwerror.InvalidJSON, "request body is empty; expected a JSON object")
	}
	// One pass validates the body and finds its top-level members. The
	// body is never modified in place (translators build new slices), so
	// strings read from it alias it for the request's lifetime.
	var buf [12]rawjson.Member
	members, object, ok := rawjson.Members(buf[:0], body)
	if !ok {
		return gwerror.New(gwerror.InvalidJSON, "request body is not valid JSON")
	}
	if !object {
		return gwerror.New(gwerror.InvalidJSON, "request body must be a JSON object")
	}
	f := walk(x, members)
	if x.API == pipeline.APIPrompt || (x.API == pipeline.APIChat && f.prompt.Exists()) {
		// A template call, or a chat request naming a template: the
		// prompt stage renders it and summarises the rendered request.
		return nil
	}
	if f.model.Type != gjson.String || f.model.Str == "" {
		return gwerror.Param(gwerror.MissingField, "model", "'model' is required and must be a non-empty string")
	}
	x.Model = f.model.Str
	switch x.API {
	case pipeline.APIChat, pipeline.APIMessages:
		x.Request.Op = translate.Chat
		if !f.messages.IsArray() || !summarizeMessages(&x.Summary, f.messages) {
			return gwerror.Param(gwerror.MissingField, "messages", "'messages' is required and must be a non-empty array")
		}
	case pipeline.APIEmbeddings:
		x.Request.Op = translate.Embeddings
		if !f.input.Exists() || f.input.Type == gjson.Null {
			return gwerror.Param(gwerror.MissingField, "input", "'input' is required")
		}
	}
	if s := f.stream; s.Exists() && s.Type != gjson.True && s.Type != gjson.False && s.Type != gjson.Null {
		return gwerror.Param(gwerror.InvalidRequest, "stream", "'stream' must be a boolean")
	}
	x.Request.Stream = f.stream.Type == gjson.True
	summarizeTools(&x.Summary, f.tools)
	return nil
}
