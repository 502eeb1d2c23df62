package translatetest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tidwall/gjson"

	"github.com/sluice-gw/sluice/pkg/translate"
)

// RequestCase is one request fixture: testdata/request/<name>.json holding
//
//	{"op": "chat"|"embeddings", "target": {...}, "body": {...}}
//
// The body is kept byte for byte as written. Stream and IncludeUsage are
// read from the body, as Sluice's parse stage does.
type RequestCase struct {
	Name    string
	Path    string // the fixture file
	Request translate.Request
	Target  translate.Target
}

// GoldenPath is where the case's expected output lives.
func (c RequestCase) GoldenPath() string { return GoldenPath(c.Path) }

type targetJSON struct {
	Provider   string `json:"provider"`
	Backend    string `json:"backend"`
	Model      string `json:"model"`
	BasePath   string `json:"base_path"`
	APIVersion string `json:"api_version"`
	Deployment string `json:"deployment"`
	APIKey     string `json:"api_key"`
}

// LoadRequestCases reads every *.json fixture in dir.
func LoadRequestCases(t testing.TB, dir string) []RequestCase {
	t.Helper()
	var cases []RequestCase
	for _, path := range Glob(t, filepath.Join(dir, "*.json")) {
		c, err := parseRequestCase(path)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		cases = append(cases, c)
	}
	return cases
}

func parseRequestCase(path string) (RequestCase, error) {
	raw, err := os.ReadFile(path) //nolint:gosec // a fixture path chosen by the test
	if err != nil {
		return RequestCase{}, err
	}
	if !gjson.ValidBytes(raw) {
		return RequestCase{}, fmt.Errorf("not valid JSON")
	}
	var tj targetJSON
	if tr := gjson.GetBytes(raw, "target"); tr.Exists() {
		if err := json.Unmarshal([]byte(tr.Raw), &tj); err != nil {
			return RequestCase{}, fmt.Errorf("target: %w", err)
		}
	}
	op := translate.Chat
	if gjson.GetBytes(raw, "op").String() == "embeddings" {
		op = translate.Embeddings
	}
	body := gjson.GetBytes(raw, "body")
	if !body.Exists() {
		return RequestCase{}, fmt.Errorf("missing body")
	}
	return RequestCase{
		Name:    strings.TrimSuffix(filepath.Base(path), ".json"),
		Path:    path,
		Request: NewRequest(op, []byte(body.Raw)),
		Target: translate.Target{
			Provider: translate.Provider(tj.Provider), Backend: tj.Backend, Model: tj.Model,
			BasePath: tj.BasePath, APIVersion: tj.APIVersion, Deployment: tj.Deployment,
			Credential: translate.Credential{APIKey: tj.APIKey},
		},
	}, nil
}

// NewRequest builds a translate.Request the way the parse stage does.
func NewRequest(op translate.Operation, body []byte) translate.Request {
	return translate.Request{
		Op:           op,
		Body:         body,
		Stream:       gjson.GetBytes(body, "stream").Bool(),
		IncludeUsage: gjson.GetBytes(body, "stream_options.include_usage").Bool(),
	}
}

// RunRequests translates every request fixture in dir and compares the
// rendered upstream request (or error) with its golden file. prettyBody
// indents JSON bodies; leave it false where byte-for-byte output matters.
func RunRequests(t *testing.T, dir string, tr translate.Translator, prettyBody bool) {
	for _, c := range LoadRequestCases(t, dir) {
		t.Run(c.Name, func(t *testing.T) {
			req := c.Request
			up, err := tr.Request(&req, &c.Target)
			Golden(t, c.GoldenPath(), RenderUpstream(up, err, prettyBody))
		})
	}
}

// ResponseCase is one response fixture: testdata/response/<name>.json
// holding {"request": {...optional client body}, "response": {...provider body}}.
type ResponseCase struct {
	Name     string
	Path     string
	Request  translate.Request
	Response []byte
}

// GoldenPath is where the case's expected output lives.
func (c ResponseCase) GoldenPath() string { return GoldenPath(c.Path) }

// LoadResponseCases reads every *.json fixture in dir.
func LoadResponseCases(t testing.TB, dir string) []ResponseCase {
	t.Helper()
	var cases []ResponseCase
	for _, path := range Glob(t, filepath.Join(dir, "*.json")) {
		raw := ReadFile(t, path)
		if !gjson.ValidBytes(raw) {
			t.Fatalf("%s: not valid JSON", path)
		}
		reqBody := []byte(`{}`)
		if r := gjson.GetBytes(raw, "request"); r.Exists() {
			reqBody = []byte(r.Raw)
		}
		op := translate.Chat
		if gjson.GetBytes(raw, "op").String() == "embeddings" {
			op = translate.Embeddings
		}
		cases = append(cases, ResponseCase{
			Name:     strings.TrimSuffix(filepath.Base(path), ".json"),
			Path:     path,
			Request:  NewRequest(op, reqBody),
			Response: []byte(gjson.GetBytes(raw, "response").Raw),
		})
	}
	return cases
}

// RunResponses translates every response fixture in dir.
func RunResponses(t *testing.T, dir string, tr translate.Translator) {
	for _, c := range LoadResponseCases(t, dir) {
		t.Run(c.Name, func(t *testing.T) {
			req := c.Request
			resp, err := tr.Response(&req, c.Response)
			Golden(t, c.GoldenPath(), RenderResponse(resp, err))
		})
	}
}
