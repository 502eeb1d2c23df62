package fakeprovider

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/tidwall/gjson"

	"github.com/sluice-gw/sluice/pkg/sse"
)

// chatRequest builds a minimal valid chat request for backend at base,
// authenticated as the fake expects.
func chatRequest(t *testing.T, backend, base, model string, stream bool) *http.Request {
	t.Helper()
	var path, body string
	h := http.Header{"Content-Type": {"application/json"}}
	streamJSON := map[bool]string{true: "true", false: "false"}[stream]
	switch backend {
	case BackendOpenAI:
		path = "/v1/chat/completions"
		body = `{"model":"` + model + `","messages":[{"role":"user","content":"hi"}],"stream":` + streamJSON + `}`
		h.Set("Authorization", "Bearer "+OpenAIKey)
	case BackendAzure:
		path = "/openai/deployments/" + model + "/chat/completions?api-version=2024-10-21"
		body = `{"messages":[{"role":"user","content":"hi"}],"stream":` + streamJSON + `}`
		h.Set("Api-Key", AzureKey)
	case BackendAnthropic:
		path = "/v1/messages"
		body = `{"model":"` + model + `","max_tokens":64,"messages":[{"role":"user","content":"hi"}],"stream":` + streamJSON + `}`
		h.Set("X-Api-Key", AnthropicKey)
		h.Set("Anthropic-Version", "2023-06-01")
	case BackendGemini:
		path = "/v1beta/models/" + model + ":generateContent"
		if stream {
			path = "/v1beta/models/" + model + ":streamGenerateContent?alt=sse"
		}
		body = `{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}`
		h.Set("X-Goog-Api-Key", GeminiKey)
	case BackendBedrock:
		path = "/model/" + model + "/converse"
		if stream {
			path += "-stream"
		}
		body = `{"messages":[{"role":"user","content":[{"text":"hi"}]}]}`
	}
	return newRequest(t, backend, base+path, body, h)
}

// newRequest builds a POST; Bedrock requests are signed with the AWS SDK's
// own signer, the reference the fake's verification must agree with.
func newRequest(t *testing.T, backend, url, body string, h http.Header) *http.Request {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range h {
		req.Header[k] = v
	}
	if backend == BackendBedrock && req.Header.Get("Authorization") == "" {
		sign(t, req, []byte(body), time.Now())
	}
	return req
}

func sign(t *testing.T, req *http.Request, body []byte, at time.Time) {
	t.Helper()
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: AWSAccessKeyID, SecretAccessKey: AWSSecretAccessKey}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "bedrock", AWSRegion, at); err != nil {
		t.Fatal(err)
	}
}

// result is a response read to its end.
type result struct {
	status  int
	header  http.Header
	body    []byte
	readErr error // from reading the body: a cut or reset shows here
}

var client = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}

func send(t *testing.T, req *http.Request) (result, error) {
	t.Helper()
	res, err := client.Do(req)
	if err != nil {
		return result{}, err
	}
	defer res.Body.Close()
	body, readErr := io.ReadAll(res.Body)
	return result{status: res.StatusCode, header: res.Header, body: body, readErr: readErr}, nil
}

func mustSend(t *testing.T, req *http.Request) result {
	t.Helper()
	r, err := send(t, req)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// frame is one decoded stream event.
type frame struct {
	name, data string
	exception  bool
}

// decodeStream splits a streamed body into events and reports whether it
// ended partway through one.
func decodeStream(t *testing.T, backend string, body []byte) (frames []frame, partial bool) {
	t.Helper()
	if backend == BackendBedrock {
		dec := eventstream.NewDecoder()
		r := bytes.NewReader(body)
		for r.Len() > 0 {
			msg, err := dec.Decode(r, nil)
			if err != nil {
				if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
					return frames, true
				}
				t.Fatalf("decoding event-stream: %v", err)
			}
			f := frame{data: string(msg.Payload)}
			if v := msg.Headers.Get(":event-type"); v != nil {
				f.name = v.String()
			}
			if v := msg.Headers.Get(":exception-type"); v != nil {
				f.name, f.exception = v.String(), true
			}
			frames = append(frames, f)
		}
		return frames, false
	}
	var p sse.Parser
	err := p.Feed(body, func(ev sse.Event) error {
		frames = append(frames, frame{name: string(ev.Name), data: string(ev.Data)})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return frames, p.Pending()
}

// streamText joins the text deltas of a decoded stream.
func streamText(backend string, frames []frame) string {
	path := map[string]string{
		BackendOpenAI:    "choices.0.delta.content",
		BackendAzure:     "choices.0.delta.content",
		BackendAnthropic: "delta.text",
		BackendGemini:    "candidates.0.content.parts.0.text",
		BackendBedrock:   "delta.text",
	}[backend]
	var sb strings.Builder
	for _, f := range frames {
		sb.WriteString(gjson.Get(f.data, path).String())
	}
	return sb.String()
}

// streamArgs joins the streamed tool-call arguments.
func streamArgs(backend string, frames []frame) string {
	var sb strings.Builder
	for _, f := range frames {
		d := gjson.Parse(f.data)
		switch backend {
		case BackendOpenAI, BackendAzure:
			sb.WriteString(d.Get("choices.0.delta.tool_calls.0.function.arguments").String())
		case BackendAnthropic:
			sb.WriteString(d.Get("delta.partial_json").String())
		case BackendGemini:
			sb.WriteString(d.Get("candidates.0.content.parts.0.functionCall.args").Raw)
		case BackendBedrock:
			sb.WriteString(d.Get("delta.toolUse.input").String())
		}
	}
	return sb.String()
}
