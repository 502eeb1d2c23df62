package fakeprovider

import (
	"bytes"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
	"github.com/tidwall/gjson"
)

// The AWS credentials the Bedrock fake verifies signatures with.
const (
	AWSAccessKeyID     = "AKIAFAKEBEDROCK00001"
	AWSSecretAccessKey = "test-aws-secret-access-key"
	AWSRegion          = "us-east-1"
)

// Bedrock fakes the Bedrock runtime Converse API:
//
//	POST /model/{modelId}/converse
//	POST /model/{modelId}/converse-stream
//
// Requests must be SigV4-signed for service "bedrock" with AWSAccessKeyID
// and AWSSecretAccessKey; the fake recomputes the signature as AWS does.
// Streams are AWS event-stream binary frames.
func Bedrock(opts ...Option) *Fake { return newFake(&bedrock{now: time.Now}, opts) }

// WithoutSignatureCheck makes the Bedrock fake check only the format,
// scope and date of the SigV4 authorization, not the signature. Other
// fakes ignore it.
func WithoutSignatureCheck() Option {
	return func(f *Fake) {
		if b, ok := f.p.(*bedrock); ok {
			b.formatOnly = true
		}
	}
}

type bedrock struct {
	now        func() time.Time
	formatOnly bool
}

func (*bedrock) name() string          { return "bedrock" }
func (*bedrock) credentials() []string { return []string{"Authorization"} }

func (b *bedrock) authenticate(r *http.Request, body []byte) *apiError {
	if strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
		return errorf(errInvalid, "gateway credential leaked: header authorization carries a bearer token, not a SigV4 signature")
	}
	return verifySigV4(r, body, "bedrock", AWSAccessKeyID, AWSSecretAccessKey, b.now(), b.formatOnly)
}

var (
	bedrockFields = setOf("messages", "system", "inferenceConfig", "toolConfig", "guardrailConfig",
		"additionalModelRequestFields", "additionalModelResponseFieldPaths", "promptVariables",
		"requestMetadata", "performanceConfig", "outputConfig")
	bedrockInferenceFields = setOf("maxTokens", "temperature", "topP", "stopSequences")
	bedrockBlockFields     = setOf("text", "image", "document", "video", "toolUse", "toolResult",
		"guardContent", "cachePoint", "reasoningContent", "citationsContent")
)

func (*bedrock) parse(r *http.Request, body []byte) (*call, *apiError) {
	rest, ok := strings.CutPrefix(r.URL.Path, "/model/")
	i := strings.LastIndexByte(rest, '/')
	if !ok || i <= 0 || r.Method != http.MethodPost {
		return nil, errorf(errNotFound, "Unknown operation %s %s", r.Method, r.URL.Path).withCode("UnknownOperationException")
	}
	c := &call{model: rest[:i]}
	switch rest[i+1:] {
	case "converse":
	case "converse-stream":
		c.stream = true
	default:
		return nil, errorf(errNotFound, "Unknown operation %s %s", r.Method, r.URL.Path).withCode("UnknownOperationException")
	}
	if !gjson.ValidBytes(body) {
		return nil, errorf(errInvalid, "Malformed input request, please reformat your input and try again.")
	}
	root := gjson.ParseBytes(body)
	if f := unknownField(root, bedrockFields); f != "" {
		return nil, errorf(errInvalid, "Malformed input request: extraneous key [%s] is not permitted, please reformat your input and try again.", f)
	}
	if f := unknownField(root.Get("inferenceConfig"), bedrockInferenceFields); f != "" {
		return nil, errorf(errInvalid, "Malformed input request: extraneous key [inferenceConfig.%s] is not permitted, please reformat your input and try again.", f)
	}
	if sys := root.Get("system"); sys.Exists() && !sys.IsArray() {
		return nil, errorf(errInvalid, "1 validation error detected: Value at 'system' failed to satisfy constraint: Member must be a list")
	}
	if e := checkBedrockMessages(root.Get("messages")); e != nil {
		return nil, e
	}
	return c, bedrockTool(root, c)
}

func checkBedrockMessages(msgs gjson.Result) *apiError {
	if len(msgs.Array()) == 0 {
		return errorf(errInvalid, "A conversation must start with a user message. Try again with a conversation that starts with a user message.")
	}
	for i, m := range msgs.Array() {
		if role := m.Get("role").String(); role != "user" && role != "assistant" {
			return errorf(errInvalid, "1 validation error detected: Value '%s' at 'messages.%d.member.role' failed to satisfy constraint: Member must satisfy enum value set: [user, assistant]", role, i+1)
		}
		if !m.Get("content").IsArray() {
			return errorf(errInvalid, "1 validation error detected: Value at 'messages.%d.member.content' failed to satisfy constraint: Member must be a list", i+1)
		}
		blocks := m.Get("content").Array()
		if len(blocks) == 0 {
			return errorf(errInvalid, "The content field in the Message object at messages.%d is empty. Add a ContentBlock object to the content field and try again.", i)
		}
		for j, b := range blocks {
			if !b.IsObject() || unknownField(b, bedrockBlockFields) != "" || len(b.Map()) != 1 {
				return errorf(errInvalid, "1 validation error detected: Value at 'messages.%d.member.content.%d.member' failed to satisfy constraint: Member must have exactly one known field", i+1, j+1)
			}
		}
	}
	return nil
}

// bedrockTool sets c.tool unless there are no tools or the last message
// carries a tool result. Converse has no "none" tool choice.
func bedrockTool(root gjson.Result, c *call) *apiError {
	var names []string
	for i, t := range root.Get("toolConfig.tools").Array() {
		if t.Get("cachePoint").Exists() {
			continue
		}
		spec := t.Get("toolSpec")
		if spec.Get("name").String() == "" || !spec.Get("inputSchema.json").Exists() {
			return errorf(errInvalid, "1 validation error detected: Value at 'toolConfig.tools.%d.member.toolSpec' failed to satisfy constraint: name and inputSchema.json are required", i+1)
		}
		names = append(names, spec.Get("name").String())
	}
	answered := lastOf(root.Get("messages")).Get("content.#.toolResult").Array()
	if len(names) == 0 || len(answered) > 0 {
		return nil
	}
	c.tool = names[0]
	if name := root.Get("toolConfig.toolChoice.tool.name").String(); name != "" {
		c.tool = name
	}
	return nil
}

func (*bedrock) errorBody(e *apiError) (http.Header, []byte) {
	code := e.code
	if code == "" {
		code = map[errKind]string{
			errInvalid: "ValidationException", errAuth: "UnrecognizedClientException", errPermission: "AccessDeniedException",
			errNotFound: "ResourceNotFoundException", errRateLimit: "ThrottlingException", errServer: "InternalServerException",
			errUnavailable: "ServiceUnavailableException", errOverloaded: "ServiceUnavailableException",
		}[e.kind]
	}
	h := http.Header{
		"X-Amzn-Errortype": {code + ":http://internal.amazon.com/coral/com.amazon.bedrock/"},
		"X-Amzn-Requestid": {"fake-request-1"},
	}
	return h, mustJSON(obj{"message": e.message})
}

func bedrockUsage() obj {
	return obj{
		"inputTokens": InputTokens - CachedTokens - CacheWriteTokens, "outputTokens": OutputTokens,
		"totalTokens": TotalTokens, "cacheReadInputTokens": CachedTokens, "cacheWriteInputTokens": CacheWriteTokens,
	}
}

func (*bedrock) body(c *call) []byte {
	content := []any{obj{"text": c.text()}}
	stop := "end_turn"
	if c.tool != "" {
		content = append(content, obj{"toolUse": obj{"toolUseId": "tooluse_fake_1", "name": c.tool, "input": toolInput()}})
		stop = "tool_use"
	}
	return mustJSON(obj{
		"output":     obj{"message": obj{"role": "assistant", "content": content}},
		"stopReason": stop, "usage": bedrockUsage(), "metrics": obj{"latencyMs": 42},
	})
}

// padding is the "p" field Bedrock adds to stream events so their sizes do
// not reveal the content.
const padding = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456"

func (*bedrock) events(c *call) []event {
	n := 0
	ev := func(name string, data obj) event {
		n++
		data["p"] = padding[:1+n*7%len(padding)]
		return event{name: name, data: mustJSON(data)}
	}
	evs := []event{ev("messageStart", obj{"role": "assistant"})}
	for _, p := range c.textPieces() {
		evs = append(evs, ev("contentBlockDelta", obj{"contentBlockIndex": 0, "delta": obj{"text": p}}))
	}
	evs = append(evs, ev("contentBlockStop", obj{"contentBlockIndex": 0}))
	stop := "end_turn"
	if c.tool != "" {
		evs = append(evs, ev("contentBlockStart", obj{"contentBlockIndex": 1,
			"start": obj{"toolUse": obj{"toolUseId": "tooluse_fake_1", "name": c.tool}}}))
		for _, p := range argPieces() {
			evs = append(evs, ev("contentBlockDelta", obj{"contentBlockIndex": 1, "delta": obj{"toolUse": obj{"input": p}}}))
		}
		evs = append(evs, ev("contentBlockStop", obj{"contentBlockIndex": 1}))
		stop = "tool_use"
	}
	return append(evs,
		ev("messageStop", obj{"stopReason": stop}),
		ev("metadata", obj{"usage": bedrockUsage(), "metrics": obj{"latencyMs": 42}}))
}

func (*bedrock) errorEvent() event {
	return event{name: "serviceUnavailableException", exception: true,
		data: mustJSON(obj{"message": "Bedrock is unable to process your request."})}
}

// encode frames ev as an event-stream message with the headers Bedrock
// sends.
func (*bedrock) encode(dst []byte, ev event) []byte {
	var h eventstream.Headers
	if ev.exception {
		h.Set(":exception-type", eventstream.StringValue(ev.name))
		h.Set(":content-type", eventstream.StringValue("application/json"))
		h.Set(":message-type", eventstream.StringValue("exception"))
	} else {
		h.Set(":event-type", eventstream.StringValue(ev.name))
		h.Set(":content-type", eventstream.StringValue("application/json"))
		h.Set(":message-type", eventstream.StringValue("event"))
	}
	buf := bytes.NewBuffer(dst)
	if err := eventstream.NewEncoder().Encode(buf, eventstream.Message{Headers: h, Payload: ev.data}); err != nil {
		// Only oversized headers or payloads fail, and fixtures are small.
		panic("fakeprovider: encoding event-stream frame: " + err.Error())
	}
	return buf.Bytes()
}

func (*bedrock) streamContentType() string { return "application/vnd.amazon.eventstream" }
