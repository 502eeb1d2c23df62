package fakeprovider

import (
	"net/http"
	"strings"

	"github.com/tidwall/gjson"
)

// GeminiKey is the key the Gemini fake expects in x-goog-api-key (or the
// key query parameter).
const GeminiKey = "test-gemini-key"

// Gemini fakes the Gemini API (generativelanguage.googleapis.com):
//
//	POST /v1beta/models/{model}:generateContent
//	POST /v1beta/models/{model}:streamGenerateContent?alt=sse
//	POST /v1beta/models/{model}:batchEmbedContents
//	POST /v1beta/models/{model}:embedContent
//
// (or under /v1/). Streams end lines with CRLF, and, like the real API,
// unknown top-level fields are rejected.
func Gemini(opts ...Option) *Fake { return newFake(gemini{}, opts) }

type gemini struct{}

func (gemini) name() string          { return "gemini" }
func (gemini) credentials() []string { return []string{"X-Goog-Api-Key"} }

func (gemini) authenticate(r *http.Request, _ []byte) *apiError {
	key := r.Header.Get("X-Goog-Api-Key")
	if key == "" {
		key = r.URL.Query().Get("key")
	}
	switch {
	case key == "":
		return errorf(errPermission, "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.")
	case key != GeminiKey:
		return errorf(errInvalid, "API key not valid. Please pass a valid API key.").withCode("API_KEY_INVALID")
	}
	return nil
}

var geminiFields = setOf("model", "contents", "tools", "toolConfig", "tool_config", "safetySettings",
	"safety_settings", "systemInstruction", "system_instruction", "generationConfig", "generation_config",
	"cachedContent", "cached_content", "labels")

func (gemini) parse(r *http.Request, body []byte) (*call, *apiError) {
	rest, ok := strings.CutPrefix(r.URL.Path, "/v1beta/models/")
	if !ok {
		rest, ok = strings.CutPrefix(r.URL.Path, "/v1/models/")
	}
	i := strings.LastIndexByte(rest, ':')
	if !ok || i <= 0 || r.Method != http.MethodPost {
		return nil, errorf(errNotFound, "The requested URL %s was not found on this server.", r.URL.Path)
	}
	model, method := rest[:i], rest[i+1:]
	if !gjson.ValidBytes(body) {
		return nil, errorf(errInvalid, "Invalid JSON payload received.")
	}
	root := gjson.ParseBytes(body)
	switch method {
	case "generateContent", "streamGenerateContent":
		c, e := parseGeminiGenerate(root, model)
		if e == nil && method == "streamGenerateContent" {
			if r.URL.Query().Get("alt") != "sse" {
				// Without alt=sse the API streams one JSON array, which a
				// Server-Sent Events reader never parses.
				return nil, errorf(errInvalid, "fakeprovider: streamGenerateContent needs ?alt=sse; without it Gemini streams a JSON array")
			}
			c.stream = true
		}
		return c, e
	case "batchEmbedContents":
		return parseGeminiBatchEmbed(root, model)
	case "embedContent":
		c := &call{model: model, embed: true, oneEmbed: true, dims: dimsOr(root.Get("outputDimensionality"))}
		text := partsText(root.Get("content.parts"))
		if text == "" {
			return nil, errorf(errInvalid, "* EmbedContentRequest.content: contents is not specified")
		}
		c.inputs = []string{text}
		return c, nil
	}
	return nil, errorf(errNotFound, "The requested URL %s was not found on this server.", r.URL.Path)
}

func parseGeminiGenerate(root gjson.Result, model string) (*call, *apiError) {
	if f := unknownField(root, geminiFields); f != "" {
		return nil, errorf(errInvalid, "Invalid JSON payload received. Unknown name %q: Cannot find field.", f)
	}
	contents := root.Get("contents").Array()
	if len(contents) == 0 {
		return nil, errorf(errInvalid, "* GenerateContentRequest.contents: contents is not specified")
	}
	for i, c := range contents {
		if role := c.Get("role").String(); role != "" && role != "user" && role != "model" && role != "function" {
			return nil, errorf(errInvalid, "Please use a valid role: user, model. (contents[%d].role)", i)
		}
		if len(c.Get("parts").Array()) == 0 {
			return nil, errorf(errInvalid, "* GenerateContentRequest.contents[%d].parts: contents.parts must not be empty.", i)
		}
	}
	c := &call{model: model}
	decls := root.Get("tools.#.functionDeclarations|@flatten").Array()
	decls = append(decls, root.Get("tools.#.function_declarations|@flatten").Array()...)
	for i, d := range decls {
		if d.Get("name").String() == "" {
			return nil, errorf(errInvalid, "* GenerateContentRequest.tools[0].function_declarations[%d].name: Name cannot be empty.", i)
		}
	}
	answered := lastOf(root.Get("contents")).Get("parts.#.functionResponse").Array()
	mode := root.Get("toolConfig.functionCallingConfig.mode").String() + root.Get("tool_config.function_calling_config.mode").String()
	if len(decls) > 0 && len(answered) == 0 && mode != "NONE" {
		c.tool = decls[0].Get("name").String()
		if allowed := root.Get("toolConfig.functionCallingConfig.allowedFunctionNames.0").String(); allowed != "" {
			c.tool = allowed
		}
	}
	return c, nil
}

func parseGeminiBatchEmbed(root gjson.Result, model string) (*call, *apiError) {
	reqs := root.Get("requests").Array()
	if len(reqs) == 0 {
		return nil, errorf(errInvalid, "* BatchEmbedContentsRequest.requests: requests is not specified")
	}
	c := &call{model: model, embed: true, dims: dimsOr(reqs[0].Get("outputDimensionality"))}
	for i, req := range reqs {
		if got := req.Get("model").String(); got != "models/"+model {
			return nil, errorf(errInvalid, "* BatchEmbedContentsRequest.requests[%d].model: model %q does not match the request path's models/%s", i, got, model)
		}
		text := partsText(req.Get("content.parts"))
		if text == "" {
			return nil, errorf(errInvalid, "* BatchEmbedContentsRequest.requests[%d].content: contents is not specified", i)
		}
		c.inputs = append(c.inputs, text)
	}
	return c, nil
}

func partsText(parts gjson.Result) string {
	var sb strings.Builder
	for _, p := range parts.Array() {
		sb.WriteString(p.Get("text").String())
	}
	return sb.String()
}

func dimsOr(d gjson.Result) int {
	if d.Int() > 0 {
		return int(d.Int())
	}
	return DefaultDimensions
}

func (gemini) errorBody(e *apiError) (http.Header, []byte) {
	status := map[errKind]string{
		errInvalid: "INVALID_ARGUMENT", errAuth: "UNAUTHENTICATED", errPermission: "PERMISSION_DENIED",
		errNotFound: "NOT_FOUND", errRateLimit: "RESOURCE_EXHAUSTED", errServer: "INTERNAL",
		errUnavailable: "UNAVAILABLE", errOverloaded: "UNAVAILABLE",
	}[e.kind]
	body := obj{"code": e.status(), "message": e.message, "status": status}
	if e.code != "" {
		body["details"] = []any{obj{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": e.code, "domain": "googleapis.com"}}
	}
	return nil, mustJSON(obj{"error": body})
}

func geminiUsage(candidates int) obj {
	return obj{
		"promptTokenCount": InputTokens, "candidatesTokenCount": candidates,
		"thoughtsTokenCount": ReasoningTokens, "cachedContentTokenCount": CachedTokens,
		"totalTokenCount":     InputTokens + ReasoningTokens + candidates,
		"promptTokensDetails": []any{obj{"modality": "TEXT", "tokenCount": InputTokens}},
		"cacheTokensDetails":  []any{obj{"modality": "TEXT", "tokenCount": CachedTokens}},
	}
}

func geminiResponse(model string, parts []any, finish bool, candidates int) obj {
	cand := obj{"content": obj{"parts": parts, "role": "model"}, "index": 0}
	if finish {
		cand["finishReason"] = "STOP"
	}
	return obj{"candidates": []any{cand}, "usageMetadata": geminiUsage(candidates),
		"modelVersion": model, "responseId": "fake-response-1"}
}

// geminiCall is a function call part. Recent models attach a thought
// signature that callers must send back on the next turn.
func geminiCall(name string) obj {
	return obj{"functionCall": obj{"name": name, "args": toolInput()}, "thoughtSignature": "ZmFrZS10aG91Z2h0LXNpZ25hdHVyZQ=="}
}

func (gemini) body(c *call) []byte {
	if c.embed {
		embs := make([]any, len(c.inputs))
		for i, in := range c.inputs {
			embs[i] = obj{"values": Vector(in, c.dims)}
		}
		if c.oneEmbed {
			return mustJSON(obj{"embedding": embs[0]})
		}
		return mustJSON(obj{"embeddings": embs})
	}
	part := obj{"text": c.text()}
	if c.tool != "" {
		part = geminiCall(c.tool)
	}
	return mustJSON(geminiResponse(c.model, []any{part}, true, OutputTokens-ReasoningTokens))
}

// events streams the text a piece per chunk. usageMetadata comes on every
// chunk and grows; only the last one is final.
func (gemini) events(c *call) []event {
	final := OutputTokens - ReasoningTokens
	if c.tool != "" {
		return []event{{data: mustJSON(geminiResponse(c.model, []any{geminiCall(c.tool)}, true, final))}}
	}
	pieces := c.textPieces()
	evs := make([]event, len(pieces))
	for i, p := range pieces {
		last := i == len(pieces)-1
		n := min(i+1, final-1)
		if last {
			n = final
		}
		evs[i] = event{data: mustJSON(geminiResponse(c.model, []any{obj{"text": p}}, last, n))}
	}
	return evs
}

func (gemini) errorEvent() event {
	return event{data: mustJSON(obj{"error": obj{"code": 503, "message": "The model is overloaded. Please try again later.", "status": "UNAVAILABLE"}})}
}

func (gemini) encode(dst []byte, ev event) []byte { return appendSSE(dst, "", ev.data, "\r\n") }
func (gemini) streamContentType() string          { return "text/event-stream" }
