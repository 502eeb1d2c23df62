package openai

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"

	"github.com/sluice-gw/sluice/pkg/gwerror"
	"github.com/sluice-gw/sluice/pkg/translate"
	"github.com/sluice-gw/sluice/pkg/translate/translatetest"
)

// byTarget picks the translator from the fixture's provider, as the route
// stage does from config.
type byTarget struct{}

func (byTarget) Request(req *translate.Request, t *translate.Target) (*translate.Upstream, error) {
	return New(t.Provider).Request(req, t)
}
func (byTarget) Response(*translate.Request, []byte) (*translate.Response, error) { return nil, nil }
func (byTarget) Error(int, http.Header, []byte) error                             { return nil }
func (byTarget) Stream(*translate.Request) translate.StreamTranslator             { return nil }
func (byTarget) StreamContentType() string                                        { return "" }

func TestRequestGolden(t *testing.T) {
	translatetest.RunRequests(t, "testdata/request", byTarget{}, false)
}

func TestResponseGolden(t *testing.T) {
	translatetest.RunResponses(t, "testdata/response", New(translate.OpenAI))
}

func TestStreamGolden(t *testing.T) {
	tr := New(translate.OpenAI)
	translatetest.RunStreams(t, "testdata/stream", tr.Stream)
}

func TestRequestRejects(t *testing.T) {
	tr := New(translate.OpenAI)
	target := &translate.Target{Provider: translate.OpenAI, Model: "m"}
	tests := []struct {
		name string
		req  *translate.Request
		t    *translate.Target
		code gwerror.Code
	}{
		{"nil request", nil, target, gwerror.Internal},
		{"nil target", &translate.Request{Op: translate.Chat, Body: []byte(`{}`)}, nil, gwerror.Internal},
		{"unknown op", &translate.Request{Body: []byte(`{}`)}, target, gwerror.InvalidRequest},
		{"empty body", &translate.Request{Op: translate.Chat}, target, gwerror.InvalidJSON},
		{"string body", &translate.Request{Op: translate.Chat, Body: []byte(`"x"`)}, target, gwerror.InvalidJSON},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tr.Request(tc.req, tc.t)
			if !errors.Is(err, gwerror.New(tc.code, "")) {
				t.Fatalf("got %v, want code %s", err, tc.code)
			}
		})
	}
}

func TestRequestKeepsClientBody(t *testing.T) {
	body := []byte(`{"model":"a","messages":[]}`)
	orig := string(body)
	req := translatetest.NewRequest(translate.Chat, body)
	if _, err := New(translate.OpenAI).Request(&req, &translate.Target{Model: "a-much-longer-model-name"}); err != nil {
		t.Fatal(err)
	}
	if string(body) != orig {
		t.Fatalf("client body was modified: %s", body)
	}
}

func TestNewUnknownProviderIsCompatible(t *testing.T) {
	if got := New("mystery").(*translator).provider; got != translate.OpenAICompatible {
		t.Fatalf("provider = %s", got)
	}
	if ct := New(translate.OpenAI).StreamContentType(); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
}

func TestResponseMalformed(t *testing.T) {
	for _, body := range []string{``, `{"id":`, `[]`, `"text"`, `<html>`} {
		_, err := New(translate.OpenAI).Response(&translate.Request{}, []byte(body))
		var ge *gwerror.Error
		if !errors.As(err, &ge) || ge.HTTPStatus() != 502 || ge.Code != gwerror.UpstreamError {
			t.Errorf("body %q: got %v, want 502 upstream_error", body, err)
		}
	}
}

func TestAppendMember(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{}`, `{"k":1}`},
		{`{ }`, `{"k":1 }`},
		{`{"a":1}`, `{"a":1,"k":1}`},
		{"{\"a\":1}\n", "{\"a\":1,\"k\":1}\n"},
		{"{\"a\":{}\n}", "{\"a\":{},\"k\":1\n}"},
	}
	for _, tc := range tests {
		if got := string(appendMember([]byte(tc.in), `"k":1`)); got != tc.want {
			t.Errorf("appendMember(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestHeadersFollowTheCredential: one translator serves every backend of
// its kind, so the headers it keeps must follow each request's key, also
// with keys alternating across goroutines, and must be safe to share:
// their length is their capacity, so a caller's append copies them.
func TestHeadersFollowTheCredential(t *testing.T) {
	for _, tc := range []struct {
		provider translate.Provider
		header   string
		value    func(key string) string
	}{
		{translate.OpenAI, "authorization", func(k string) string { return "Bearer " + k }},
		{translate.AzureOpenAI, "api-key", func(k string) string { return k }},
	} {
		tr := New(tc.provider)
		check := func(key string) error {
			req := translatetest.NewRequest(translate.Chat, []byte(`{"model":"m","messages":[]}`))
			up, err := tr.Request(&req, &translate.Target{Model: "m", Deployment: "d", Credential: translate.Credential{APIKey: key}})
			if err != nil {
				return err
			}
			want := []translate.Header{{Key: "content-type", Value: "application/json"}}
			if key != "" {
				want = append(want, translate.Header{Key: tc.header, Value: tc.value(key)})
			}
			if !slices.Equal(up.Headers, want) || cap(up.Headers) != len(up.Headers) {
				return fmt.Errorf("%s with key %q: headers %v (capacity %d), want %v", tc.provider, key, up.Headers, cap(up.Headers), want)
			}
			return nil
		}
		keys := []string{"sk-a", "sk-b", "", "sk-c"}
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for g := range 8 {
			wg.Go(func() {
				for i := range 200 {
					if err := check(keys[(g+i)%len(keys)]); err != nil {
						errs <- err
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
	}
}
