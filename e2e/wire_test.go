package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tidwall/gjson"
)

// rawResponse is a response read whole, for tests that look past the SDK.
type rawResponse struct {
	status int
	header http.Header
	body   []byte
}

// do sends method path with body through the front proxy. hdr holds
// header name/value pairs; the client key is always sent.
func (e *env) do(t *testing.T, method, path, body string, hdr ...string) rawResponse {
	t.Helper()
	return e.doAs(t, method, path, body, merge(clientKeyRecord().bearer(), headers(hdr...)))
}

// doAs sends method path with body and exactly the headers in hdr (and a
// JSON content type when there is a body): no credential unless hdr has
// one.
func (e *env) doAs(t *testing.T, method, path, body string, hdr http.Header) rawResponse {
	t.Helper()
	req, err := http.NewRequestWithContext(ctxFor(t), method, e.baseURL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, vs := range hdr {
		req.Header[http.CanonicalHeaderKey(k)] = vs
	}
	resp, err := e.http.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the body: %v (read so far: %q)", method, path, err, b)
	}
	return rawResponse{status: resp.StatusCode, header: resp.Header, body: b}
}

func (e *env) post(t *testing.T, path, body string, hdr ...string) rawResponse {
	t.Helper()
	return e.do(t, http.MethodPost, path, body, hdr...)
}

// checkOpenAIError asserts r is status with the OpenAI error shape
// {"error":{"message","type","param","code"}} and returns the error object.
func checkOpenAIError(t *testing.T, r rawResponse, status int) gjson.Result {
	t.Helper()
	if r.status != status {
		t.Errorf("status = %d, want %d; body: %s", r.status, status, r.body)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("content-type = %q, want application/json", ct)
	}
	return checkErrorShape(t, r.body)
}

// checkErrorShape asserts body is {"error":{...}} with a non-empty string
// message and type, and a code and param that are present: OpenAI itself
// sends "code": null for some errors, so null passes; an empty string
// does not.
func checkErrorShape(t *testing.T, body []byte) gjson.Result {
	t.Helper()
	if !gjson.ValidBytes(body) {
		t.Errorf("error body is not JSON: %q", body)
		return gjson.Result{}
	}
	e := gjson.GetBytes(body, "error")
	if !e.IsObject() {
		t.Errorf("error body has no \"error\" object: %s", body)
		return e
	}
	for _, f := range []string{"message", "type"} {
		if v := e.Get(f); v.Type != gjson.String || v.Str == "" {
			t.Errorf("error.%s = %s, want a non-empty string; body: %s", f, v.Raw, body)
		}
	}
	for _, f := range []string{"code", "param"} {
		v := e.Get(f)
		if !v.Exists() || (v.Type != gjson.Null && (v.Type != gjson.String || v.Str == "")) {
			t.Errorf("error.%s = %q, want a non-empty string or null; body: %s", f, v.Raw, body)
		}
	}
	return e
}

// sseEvent is one Server-Sent Event.
type sseEvent struct {
	name string
	data string
}

// parseSSE splits a complete SSE body into events, checking framing: every
// event ends with a blank line.
func parseSSE(t *testing.T, body []byte) []sseEvent {
	t.Helper()
	var events []sseEvent
	var cur sseEvent
	var data []string
	open := false
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for sc.Scan() {
		line := strings.TrimSuffix(sc.Text(), "\r")
		switch {
		case line == "":
			if open {
				cur.data = strings.Join(data, "\n")
				events = append(events, cur)
			}
			cur, data, open = sseEvent{}, nil, false
		case strings.HasPrefix(line, ":"):
		case strings.HasPrefix(line, "event:"):
			cur.name, open = strings.TrimSpace(strings.TrimPrefix(line, "event:")), true
		case strings.HasPrefix(line, "data:"):
			data, open = append(data, strings.TrimPrefix(strings.TrimPrefix(line, "data:"), " ")), true
		default:
			open = true // id:, retry:, or a field SSE ignores
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("reading SSE: %v", err)
	}
	if open {
		t.Errorf("stream ended inside an event (no blank line after it): name=%q data=%q", cur.name, strings.Join(data, "\n"))
	}
	return events
}

// jsonEqual compares two JSON documents by value.
func jsonEqual(t *testing.T, what, got, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Errorf("%s is not JSON: %v: %q", what, err, got)
		return
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("%s: bad expectation %q: %v", what, want, err)
	}
	if diff := cmp.Diff(w, g); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", what, diff)
	}
}

// mustJSON encodes a request body built from literals.
func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }
