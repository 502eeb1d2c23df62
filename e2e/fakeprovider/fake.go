// Package fakeprovider fakes the upstream model providers Sluice talks to
// (OpenAI, Azure OpenAI, Anthropic, Gemini and Bedrock) for end-to-end
// tests. Each fake checks the request the way the real API does (path,
// auth, body shape), records it, and answers in the provider's exact wire
// format, streamed or not. Streams are written in deliberately awkward
// pieces, each flushed on its own, and faults (rate limits, server errors,
// broken JSON, cut or reset streams, latency) can be selected per request
// through the upstream model name.
package fakeprovider

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
)

// maxBodyBytes bounds what a fake reads from one request.
const maxBodyBytes = 32 << 20

// Request is one request a fake received, recorded before any check.
type Request struct {
	Method string
	Host   string
	Path   string // decoded
	// EscapedPath is the path as sent, still percent-encoded.
	EscapedPath string
	Query       url.Values
	Header      http.Header
	Body        []byte
}

// Fake is one provider's fake. It is an http.Handler and safe for
// concurrent use.
type Fake struct {
	p provider

	mu        sync.Mutex
	requests  []Request
	fault     Fault
	faultLeft int
	split     Split
	secrets   []string
}

// Option configures a fake.
type Option func(*Fake)

// WithSplit sets how response bodies are cut into pieces. The default is
// Awkward(1).
func WithSplit(s Split) Option { return func(f *Fake) { f.split = s } }

// WithForbidden makes the fake reject, as a leaked gateway credential, any
// request whose headers, query or body contain one of secrets. Pass the
// gateway keys the test's clients use.
func WithForbidden(secrets ...string) Option {
	return func(f *Fake) { f.secrets = append(f.secrets, secrets...) }
}

func newFake(p provider, opts []Option) *Fake {
	f := &Fake{p: p, split: Awkward(1)}
	for _, o := range opts {
		o(f)
	}
	return f
}

// Name is the backend name of the fake's provider ("openai", "bedrock", ...).
func (f *Fake) Name() string { return f.p.name() }

// Requests returns copies of the requests received so far, oldest first.
func (f *Fake) Requests() []Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]Request, len(f.requests))
	for i, r := range f.requests {
		out[i] = r.clone()
	}
	return out
}

// Last returns the most recent request, and false when there is none.
func (f *Fake) Last() (Request, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.requests) == 0 {
		return Request{}, false
	}
	return f.requests[len(f.requests)-1].clone(), true
}

// Reset forgets recorded requests and clears any fault set with SetFault.
func (f *Fake) Reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests, f.fault, f.faultLeft = nil, Fault{}, 0
}

// SetFault injects fault into the following requests: all of them, or
// fault.Times of them. It overrides the header and model name.
// SetFault(Fault{}) clears it.
func (f *Fake) SetFault(fault Fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fault, f.faultLeft = fault, fault.Times
}

// SetSplit changes how following responses are cut into pieces.
func (f *Fake) SetSplit(s Split) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.split = s
}

// Forbid adds gateway secrets that must never reach the provider.
func (f *Fake) Forbid(secrets ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.secrets = append(f.secrets, secrets...)
}

func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes))
	if err != nil {
		f.fail(w, errorf(errInvalid, "could not read request body: %v", err))
		return
	}
	f.record(r, body)
	if leak := f.leak(r, body); leak != "" {
		f.fail(w, errorf(errInvalid, "gateway credential leaked: %s", leak))
		return
	}
	if e := f.p.authenticate(r, body); e != nil {
		f.fail(w, e)
		return
	}
	c, e := f.p.parse(r, body)
	if e != nil {
		f.fail(w, e)
		return
	}
	c.reply = replyFor(r.Header.Get(ReplyHeader), body)
	fault, split := f.pick(r, c.model)
	f.answer(w, r, c, fault, split)
}

func (f *Fake) record(r *http.Request, body []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, Request{
		Method:      r.Method,
		Host:        r.Host,
		Path:        r.URL.Path,
		EscapedPath: r.URL.EscapedPath(),
		Query:       r.URL.Query(),
		Header:      r.Header.Clone(),
		Body:        body,
	})
}

// credentialHeaders are the headers some provider reads a key from. One
// reaching a provider that does not read it was forwarded from the client.
var credentialHeaders = []string{"Authorization", "Proxy-Authorization", "X-Api-Key", "Api-Key", "X-Goog-Api-Key"}

// leak names what carried a gateway credential to the provider, or "".
func (f *Fake) leak(r *http.Request, body []byte) string {
	for name := range r.Header {
		lower := strings.ToLower(name)
		if strings.HasPrefix(lower, "x-sluice-") && containsAny(lower, "key", "token", "secret", "auth") {
			return "header " + lower
		}
	}
	for _, name := range credentialHeaders {
		if r.Header.Get(name) != "" && !slices.Contains(f.p.credentials(), name) {
			return "header " + strings.ToLower(name)
		}
	}
	f.mu.Lock()
	secrets := slices.Clone(f.secrets)
	f.mu.Unlock()
	for _, s := range secrets {
		switch {
		case s == "":
		case headerContains(r.Header, s):
			return "a forbidden secret in a header"
		case strings.Contains(r.URL.RawQuery, s) || strings.Contains(r.URL.RawQuery, url.QueryEscape(s)):
			return "a forbidden secret in the query"
		case bytes.Contains(body, []byte(s)):
			return "a forbidden secret in the body"
		}
	}
	return ""
}

func containsAny(s string, subs ...string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

func headerContains(h http.Header, s string) bool {
	for _, vs := range h {
		for _, v := range vs {
			if strings.Contains(v, s) {
				return true
			}
		}
	}
	return false
}

// pick chooses the fault for one request: one set with SetFault wins, then
// the x-fake-fault header, then the model name.
func (f *Fake) pick(r *http.Request, model string) (Fault, Split) {
	f.mu.Lock()
	defer f.mu.Unlock()
	split := f.split
	if f.fault.Kind != NoFault || f.fault.Delay > 0 || f.fault.Gap > 0 {
		fault := f.fault
		if f.fault.Times > 0 {
			if f.faultLeft--; f.faultLeft <= 0 {
				f.fault = Fault{}
			}
		}
		return fault, split
	}
	if h := r.Header.Get(FaultHeader); h != "" {
		if !strings.Contains(h, "fault-") {
			h = "fault-" + h
		}
		if fault, ok := ParseFault(h); ok {
			return fault, split
		}
	}
	fault, _ := ParseFault(model)
	return fault, split
}

func (r Request) clone() Request {
	r.Header = r.Header.Clone()
	r.Query = cloneValues(r.Query)
	r.Body = slices.Clone(r.Body)
	return r
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	return out
}
