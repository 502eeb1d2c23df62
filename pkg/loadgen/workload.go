package loadgen

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	filterv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/ext_proc/v3"
	extprocv3 "github.com/envoyproxy/go-control-plane/envoy/service/ext_proc/v3"
	"github.com/tidwall/gjson"
	"google.golang.org/protobuf/types/known/structpb"
)

// Case is one kind of simulated HTTP request: what the client sends and
// what the provider answers.
type Case struct {
	// Name is the flag and report key, e.g. "openai-anthropic-stream".
	Name string
	// Title is the human label, e.g. "OpenAI → Anthropic, streaming".
	Title string
	// Model is the public model name in the client's request.
	Model string
	// Backend is the backend the gateway should route to; Check verifies it.
	Backend string
	// Stream is set when the client asks for SSE and the provider streams.
	Stream bool

	RequestBody []byte
	// ResponseContentType is the provider's content-type.
	ResponseContentType string
	// ResponseChunks is the provider body as Envoy would see it arrive: one
	// element for a JSON reply, one SSE event per element for a stream.
	ResponseChunks [][]byte
}

// ResponseBody is the whole provider body, as Envoy sends it when the
// response body mode is BUFFERED.
func (c *Case) ResponseBody() []byte { return bytes.Join(c.ResponseChunks, nil) }

// Messages is the number of ext_proc messages one request of this case
// sends when the server switches SSE replies to STREAMED.
func (c *Case) Messages() int { return 3 + len(c.ResponseChunks) }

// Cases returns the built-in cases, in report order. A server under test
// must serve the models gpt-4o-mini (backend "openai") and claude-haiku
// (backend "anthropic").
func Cases() []*Case {
	return []*Case{
		{
			Name: "openai-openai", Title: "OpenAI → OpenAI", Model: "gpt-4o-mini", Backend: "openai",
			RequestBody:         chatRequestBody("gpt-4o-mini", false),
			ResponseContentType: "application/json",
			ResponseChunks:      [][]byte{openAIResponseBody("gpt-4o-mini")},
		},
		{
			Name: "openai-anthropic-stream", Title: "OpenAI → Anthropic, streaming", Model: "claude-haiku",
			Backend: "anthropic", Stream: true,
			RequestBody:         chatRequestBody("claude-haiku", true),
			ResponseContentType: "text/event-stream; charset=utf-8",
			ResponseChunks:      anthropicStream("claude-3-5-haiku-20241022"),
		},
		{
			Name: "openai-openai-stream", Title: "OpenAI → OpenAI, streaming", Model: "gpt-4o-mini",
			Backend: "openai", Stream: true,
			RequestBody:         chatRequestBody("gpt-4o-mini", true),
			ResponseContentType: "text/event-stream; charset=utf-8",
			ResponseChunks:      openAIStream("gpt-4o-mini"),
		},
	}
}

// SelectCases returns the named built-in cases, in the order given.
func SelectCases(names []string) ([]*Case, error) {
	all := Cases()
	var out []*Case
	for _, n := range names {
		found := false
		for _, c := range all {
			if c.Name == n {
				out, found = append(out, c), true
			}
		}
		if !found {
			return nil, fmt.Errorf("unknown case %q (have %s)", n, caseNames(all))
		}
	}
	return out, nil
}

func caseNames(cs []*Case) string {
	var b []byte
	for i, c := range cs {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = append(b, c.Name...)
	}
	return string(b)
}

// script holds one worker's prebuilt messages for a case. Only the request
// id changes between requests, so a request costs the driver one small
// allocation for it rather than rebuilding every header.
type script struct {
	c           *Case
	reqHeaders  *extprocv3.ProcessingRequest
	requestID   *corev3.HeaderValue
	reqBody     *extprocv3.ProcessingRequest
	respHeaders *extprocv3.ProcessingRequest
	chunks      []*extprocv3.ProcessingRequest // one per event, last with end_of_stream
	whole       *extprocv3.ProcessingRequest   // the body in one message
	// turn is the number ending the last message of a script whose
	// requests are new turns, rewritten in the request body before each
	// request; nil otherwise.
	turn []byte
}

// anonymousKey is the bearer token sent when the client has no APIKey; a
// processor that checks keys will reject it.
const anonymousKey = "sk-client-0123456789abcdefghijklmnopqrstuvwxyz"

func newScript(c *Case, apiKey string, newTurns bool) *script {
	if apiKey == "" {
		apiKey = anonymousKey
	}
	s := &script{c: c, requestID: &corev3.HeaderValue{Key: "x-request-id"}}
	body := c.RequestBody
	if newTurns {
		body, s.turn = withTurn(body)
	}
	s.reqHeaders = &extprocv3.ProcessingRequest{
		Request: &extprocv3.ProcessingRequest_RequestHeaders{RequestHeaders: &extprocv3.HttpHeaders{
			Headers: &corev3.HeaderMap{Headers: []*corev3.HeaderValue{
				hv(":authority", "llm.internal.example.com"),
				hv(":path", "/v1/chat/completions"),
				hv(":method", "POST"),
				hv(":scheme", "https"),
				hv("content-type", "application/json"),
				hv("content-length", strconv.Itoa(len(body))),
				hv("authorization", "Bearer "+apiKey),
				hv("user-agent", "OpenAI/Python 1.99.0"),
				hv("accept", "application/json"),
				hv("x-forwarded-proto", "https"),
				s.requestID,
			}},
		}},
		// Envoy sends forwarded metadata with every message (empty when
		// there is none, as here), the request attributes with the first,
		// and its body modes in the first message of a stream.
		MetadataContext: &corev3.Metadata{},
		Attributes:      requestAttributes(),
		ProtocolConfig: &extprocv3.ProtocolConfiguration{
			RequestBodyMode:  filterv3.ProcessingMode_BUFFERED,
			ResponseBodyMode: filterv3.ProcessingMode_BUFFERED,
		},
	}
	s.reqBody = bodyMessage(false, body, true)
	respHeaders := []*corev3.HeaderValue{
		hv(":status", "200"),
		hv("content-type", c.ResponseContentType),
	}
	if !c.Stream {
		respHeaders = append(respHeaders, hv("content-length", strconv.Itoa(len(c.ResponseBody()))))
	}
	s.respHeaders = &extprocv3.ProcessingRequest{
		Request: &extprocv3.ProcessingRequest_ResponseHeaders{ResponseHeaders: &extprocv3.HttpHeaders{
			Headers: &corev3.HeaderMap{Headers: respHeaders},
		}},
		MetadataContext: &corev3.Metadata{},
	}
	for i, ch := range c.ResponseChunks {
		s.chunks = append(s.chunks, bodyMessage(true, ch, i == len(c.ResponseChunks)-1))
	}
	s.whole = bodyMessage(true, c.ResponseBody(), true)
	return s
}

// turnDigits is how many digits number a turn: any uint64.
const turnDigits = 20

// withTurn returns a copy of a chat request body whose last message's
// text ends with " turn " and turnDigits zeros, and those digits within
// it. A body without such a message is returned as it is.
func withTurn(body []byte) ([]byte, []byte) {
	n := gjson.GetBytes(body, "messages.#").Int()
	last := gjson.GetBytes(body, "messages."+strconv.FormatInt(n-1, 10)+".content")
	if last.Type != gjson.String || last.Index <= 0 {
		return body, nil
	}
	at := last.Index + len(last.Raw) - 1 // the closing quote
	out := append(append(slices.Clone(body[:at]), " turn "...), strings.Repeat("0", turnDigits)...)
	digits := len(out) - turnDigits
	out = append(out, body[at:]...)
	return out, out[digits : digits+turnDigits]
}

// setTurn numbers the script's next request v.
func (s *script) setTurn(v uint64) {
	for k := len(s.turn) - 1; k >= 0; k-- {
		s.turn[k] = byte('0' + v%10)
		v /= 10
	}
}

func hv(k, v string) *corev3.HeaderValue { return &corev3.HeaderValue{Key: k, RawValue: []byte(v)} }

func bodyMessage(response bool, b []byte, end bool) *extprocv3.ProcessingRequest {
	body := &extprocv3.HttpBody{Body: b, EndOfStream: end}
	if response {
		return &extprocv3.ProcessingRequest{Request: &extprocv3.ProcessingRequest_ResponseBody{ResponseBody: body},
			MetadataContext: &corev3.Metadata{}}
	}
	return &extprocv3.ProcessingRequest{Request: &extprocv3.ProcessingRequest_RequestBody{RequestBody: body},
		MetadataContext: &corev3.Metadata{}}
}

// requestAttributes are what Envoy sends with the first message under
// envoy/envoy.yaml's request_attributes, for a plain-text downstream (no
// peer certificate). request.id is left out: it would have to change with
// every request, and x-request-id carries the same value.
func requestAttributes() map[string]*structpb.Struct {
	return map[string]*structpb.Struct{"envoy.filters.http.ext_proc": {Fields: map[string]*structpb.Value{
		"source.address": structpb.NewStringValue("10.12.0.7:51544"),
		"xds.route_name": structpb.NewStringValue("llm"),
	}}}
}
