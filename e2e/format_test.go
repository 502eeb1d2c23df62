package e2e

import (
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/shared"
	"github.com/tidwall/gjson"

	fp "github.com/sluice-gw/sluice/e2e/fakeprovider"
)

const forecastSchema = `{"type":"object","properties":{"city":{"type":"string"},"days":{"type":"integer"}},"required":["city","days"],"additionalProperties":false}`

func responseFormat(t *testing.T, kind string) openai.ChatCompletionNewParamsResponseFormatUnion {
	t.Helper()
	if kind == "json_object" {
		return openai.ChatCompletionNewParamsResponseFormatUnion{OfJSONObject: &shared.ResponseFormatJSONObjectParam{}}
	}
	var schema map[string]any
	if err := jsonUnmarshal(forecastSchema, &schema); err != nil {
		t.Fatal(err)
	}
	return openai.ChatCompletionNewParamsResponseFormatUnion{OfJSONSchema: &shared.ResponseFormatJSONSchemaParam{
		JSONSchema: shared.ResponseFormatJSONSchemaJSONSchemaParam{
			Name:   "forecast",
			Schema: schema,
			Strict: openai.Bool(true),
		},
	}}
}

// response_format reaches every provider in its native form (Anthropic as
// a forced tool, Gemini as a response MIME type and schema), or is refused
// with a 400 naming the parameter and the provider.
func TestResponseFormat(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, p := range providers {
		for _, kind := range []string{"json_object", "json_schema"} {
			t.Run(p.backend+"/"+kind, func(t *testing.T) {
				t.Parallel()
				marker := newMarker()
				resp, err := e.client.Chat.Completions.New(ctxFor(t), openai.ChatCompletionNewParams{
					Model:          p.model,
					Messages:       []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Forecast as JSON. " + marker)},
					ResponseFormat: responseFormat(t, kind),
				})
				if p.backend == fp.BackendBedrock && kind == "json_object" {
					// Converse has structured output for a schema, but no
					// schema-less JSON mode.
					checkParamError(t, err, "response_format", "bedrock")
					e.noUpstream(t, marker)
					return
				}
				// Fakes record a request before validating it, so what Sluice
				// sent is checked even when the fake refused it.
				checkNativeFormat(t, p.backend, kind, e.upstream(t, p.backend, marker))
				if err != nil {
					t.Fatalf("response_format %s via %s: %v", kind, p.backend, describe(err))
				}
				if len(resp.Choices) != 1 {
					t.Fatalf("got %d choices, want 1: %s", len(resp.Choices), resp.RawJSON())
				}
				checkFormatReply(t, p.backend, resp.Choices[0])
			})
		}
	}
}

// checkNativeFormat asserts how the provider was asked for JSON.
func checkNativeFormat(t *testing.T, backend, kind string, r fp.Request) {
	t.Helper()
	body := gjson.ParseBytes(r.Body)
	schema := forecastSchema
	if kind == "json_object" {
		schema = `{"type":"object"}`
	}
	switch backend {
	case fp.BackendOpenAI, fp.BackendAzure:
		if got := body.Get("response_format.type").String(); got != kind {
			t.Errorf("response_format.type = %q, want %q", got, kind)
		}
		if kind == "json_schema" {
			jsonEqual(t, "response_format.json_schema.schema", body.Get("response_format.json_schema.schema").Raw, forecastSchema)
		}
	case fp.BackendAnthropic:
		tools := body.Get("tools").Array()
		if len(tools) != 1 {
			t.Fatalf("anthropic tools = %s, want the one forced JSON tool", body.Get("tools").Raw)
		}
		jsonEqual(t, "forced tool input_schema", tools[0].Get("input_schema").Raw, schema)
		if tc := body.Get("tool_choice"); tc.Get("type").String() != "tool" || tc.Get("name").String() != tools[0].Get("name").String() {
			t.Errorf("anthropic tool_choice = %s, want the forced tool %s", tc.Raw, tools[0].Get("name").Raw)
		}
	case fp.BackendGemini:
		gc := body.Get("generationConfig")
		if got := gc.Get("responseMimeType").String(); got != "application/json" {
			t.Errorf("gemini generationConfig.responseMimeType = %q, want application/json; body: %s", got, r.Body)
		}
		if kind == "json_schema" && !gc.Get("responseSchema").Exists() && !gc.Get("responseJsonSchema").Exists() {
			t.Errorf("gemini generationConfig has no response schema: %s", gc.Raw)
		}
	case fp.BackendBedrock:
		// Converse structured output: outputConfig.textFormat, with the
		// schema as a JSON document inside a string (API_runtime_JsonSchemaDefinition).
		tf := body.Get("outputConfig.textFormat")
		if tf.Get("type").String() != "json_schema" || tf.Get("structure.jsonSchema.name").String() != "forecast" {
			t.Errorf("bedrock outputConfig.textFormat = %s, want type json_schema named forecast", tf.Raw)
		}
		if s := tf.Get("structure.jsonSchema.schema"); s.Type != gjson.String {
			t.Errorf("bedrock jsonSchema.schema = %s, want the schema as a JSON string", s.Raw)
		} else {
			jsonEqual(t, "bedrock jsonSchema.schema", s.Str, forecastSchema)
		}
	}
}

// checkFormatReply asserts the reply is a plain message. Behind Anthropic
// the forced tool's input becomes the content (the fake answers with a
// text block and then the tool call).
func checkFormatReply(t *testing.T, backend string, c openai.ChatCompletionChoice) {
	t.Helper()
	if c.FinishReason != "stop" {
		t.Errorf("finish_reason = %q, want stop", c.FinishReason)
	}
	if len(c.Message.ToolCalls) != 0 {
		t.Errorf("reply has tool calls %+v, want only content", c.Message.ToolCalls)
	}
	if backend == fp.BackendAnthropic {
		if !strings.HasSuffix(c.Message.Content, fp.ToolArguments) {
			t.Errorf("content = %q, want it to end with the forced tool's input %s", c.Message.Content, fp.ToolArguments)
		}
		return
	}
	if c.Message.Content != fp.ReplyText {
		t.Errorf("content = %q, want %q", c.Message.Content, fp.ReplyText)
	}
}

// pngBase64 is a 1×1 PNG.
const pngBase64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="

// An image part given as a data: URI reaches every provider in its own
// shape.
func TestImageInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, p := range providers {
		t.Run(p.backend, func(t *testing.T) {
			t.Parallel()
			marker := newMarker()
			resp, err := e.client.Chat.Completions.New(ctxFor(t), openai.ChatCompletionNewParams{
				Model: p.model,
				Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage([]openai.ChatCompletionContentPartUnionParam{
					openai.TextContentPart("What is in this picture? " + marker),
					openai.ImageContentPart(openai.ChatCompletionContentPartImageImageURLParam{URL: "data:image/png;base64," + pngBase64}),
				})},
			})
			if err != nil {
				t.Fatalf("image via %s: %v", p.backend, describe(err))
			}
			if len(resp.Choices) != 1 || resp.Choices[0].Message.Content != fp.ReplyText {
				t.Errorf("reply = %s, want one choice with the fake's text", resp.RawJSON())
			}
			checkNativeImage(t, p.backend, e.upstream(t, p.backend, marker))
		})
	}
}

// checkNativeImage finds the image in the user message's parts and checks
// its provider-native form.
func checkNativeImage(t *testing.T, backend string, r fp.Request) {
	t.Helper()
	body := gjson.ParseBytes(r.Body)
	var parts gjson.Result
	switch backend {
	case fp.BackendGemini:
		parts = body.Get("contents.0.parts")
	default:
		parts = body.Get("messages.0.content")
	}
	want := map[string]string{
		fp.BackendOpenAI:    `{"type":"image_url","image_url":{"url":"data:image/png;base64,` + pngBase64 + `"}}`,
		fp.BackendAzure:     `{"type":"image_url","image_url":{"url":"data:image/png;base64,` + pngBase64 + `"}}`,
		fp.BackendAnthropic: `{"type":"image","source":{"type":"base64","media_type":"image/png","data":"` + pngBase64 + `"}}`,
		fp.BackendGemini:    `{"inlineData":{"mimeType":"image/png","data":"` + pngBase64 + `"}}`,
		fp.BackendBedrock:   `{"image":{"format":"png","source":{"bytes":"` + pngBase64 + `"}}}`,
	}[backend]
	var image string
	parts.ForEach(func(_, part gjson.Result) bool {
		if part.Get("type").String() == "text" || part.Get("text").Exists() {
			return true
		}
		image = part.Raw
		return false
	})
	if backend == fp.BackendGemini && strings.Contains(image, "inline_data") {
		want = `{"inline_data":{"mime_type":"image/png","data":"` + pngBase64 + `"}}`
	}
	if image == "" {
		t.Fatalf("%s request has no image part; parts: %s", backend, parts.Raw)
	}
	jsonEqual(t, backend+" image part", image, want)
}
