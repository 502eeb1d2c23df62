package fakeprovider

import (
	"net/http"
	"strings"
)

// AzureKey is the key the Azure OpenAI fake expects in the api-key header.
const AzureKey = "test-azure-key"

// Azure fakes an Azure OpenAI resource:
//
//	POST /openai/deployments/{deployment}/chat/completions?api-version=...
//	POST /openai/deployments/{deployment}/embeddings?api-version=...
//	POST /openai/v1/chat/completions, /openai/v1/embeddings (model in the body)
//
// with `api-key: test-azure-key`. On deployment paths the deployment is
// the model, so it selects faults ("fault-429").
func Azure(opts ...Option) *Fake { return newFake(azure{}, opts) }

type azure struct{}

func (azure) name() string          { return "azure_openai" }
func (azure) credentials() []string { return []string{"Api-Key"} }

func (azure) authenticate(r *http.Request, _ []byte) *apiError {
	if r.Header.Get("Api-Key") != AzureKey {
		return errorf(errAuth, "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.").withCode("401")
	}
	return nil
}

func (azure) parse(r *http.Request, body []byte) (*call, *apiError) {
	notFound := errorf(errNotFound, "Resource not found").withCode("404")
	if r.Method != http.MethodPost {
		return nil, notFound
	}
	if op, ok := strings.CutPrefix(r.URL.Path, "/openai/v1/"); ok {
		return parseAzureOp(op, body, true)
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/openai/deployments/")
	if !ok {
		return nil, notFound
	}
	deployment, op, ok := strings.Cut(rest, "/")
	if !ok || deployment == "" {
		return nil, notFound
	}
	if r.URL.Query().Get("api-version") == "" {
		return nil, notFound // what Azure answers, unhelpfully, to a missing api-version
	}
	c, e := parseAzureOp(op, body, false)
	if e != nil {
		return nil, e
	}
	if c.model == "" {
		c.model = deployment
	}
	if strings.Contains(deployment, "fault-") {
		c.model = deployment // the deployment, not the body, selects faults here
	}
	return c, nil
}

func parseAzureOp(op string, body []byte, needModel bool) (*call, *apiError) {
	switch op {
	case "chat/completions":
		return parseOpenAIChat(body, needModel)
	case "embeddings":
		return parseOpenAIEmbeddings(body, needModel)
	}
	return nil, errorf(errNotFound, "Resource not found").withCode("404")
}

// errorBody renders Azure's {"error":{"code","message"}}, which differs
// from OpenAI's in carrying the status as a string code.
func (azure) errorBody(e *apiError) (http.Header, []byte) {
	code := e.code
	if code == "" {
		code = map[errKind]string{
			errInvalid: "BadRequest", errAuth: "401", errPermission: "403", errNotFound: "404",
			errRateLimit: "429", errServer: "InternalServerError", errUnavailable: "ServiceUnavailable", errOverloaded: "ServiceUnavailable",
		}[e.kind]
	}
	if e.kind == errRateLimit {
		e = &apiError{kind: e.kind, message: "Requests to the ChatCompletions_Create Operation under Azure OpenAI API have exceeded token rate limit of your current tier. Please retry after 7 seconds."}
	}
	return nil, mustJSON(obj{"error": obj{"code": code, "message": e.message}})
}

func (azure) body(c *call) []byte                { return openAIBody(c, true) }
func (azure) events(c *call) []event             { return openAIEvents(c, true) }
func (azure) errorEvent() event                  { return openAI{}.errorEvent() }
func (azure) encode(dst []byte, ev event) []byte { return appendSSE(dst, "", ev.data, "\n") }
func (azure) streamContentType() string          { return "text/event-stream; charset=utf-8" }

// azureFilterResults is the content filter verdict Azure attaches to
// prompts and choices.
func azureFilterResults() obj {
	safe := obj{"filtered": false, "severity": "safe"}
	return obj{"hate": safe, "self_harm": safe, "sexual": safe, "violence": safe}
}
