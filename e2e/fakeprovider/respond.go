package fakeprovider

import (
	"fmt"
	"net/http"
	"strconv"
)

// provider is what differs between fakes: the API's routes, auth, request
// checks and wire format. The shared Fake does recording, leak checks,
// faults and the awkward writing.
type provider interface {
	name() string
	// credentials lists the credential headers the API reads.
	credentials() []string
	authenticate(r *http.Request, body []byte) *apiError
	// parse checks the route and body and says what to answer.
	parse(r *http.Request, body []byte) (*call, *apiError)
	// errorBody renders a native error, with any headers it comes with.
	errorBody(e *apiError) (http.Header, []byte)
	// body is the non-streamed answer.
	body(c *call) []byte
	// events is the streamed answer, and errorEvent the native error
	// event a stream may carry.
	events(c *call) []event
	errorEvent() event
	// encode appends ev in the stream's wire format.
	encode(dst []byte, ev event) []byte
	streamContentType() string
}

// call is what a request asks for, as far as the answer depends on it.
type call struct {
	model  string
	stream bool
	tool   string // the tool to call; empty for a text reply

	includeUsage bool // OpenAI and Azure: stream_options.include_usage

	// reply replaces ReplyText when the request asks for another answer
	// with the x-fake-reply header.
	reply string

	embed    bool
	inputs   []string
	dims     int
	base64   bool // OpenAI and Azure: encoding_format "base64"
	oneEmbed bool // Gemini: embedContent rather than batchEmbedContents
}

// event is one stream event before encoding.
type event struct {
	name      string // SSE event name, or Bedrock :event-type / :exception-type
	data      []byte
	exception bool // Bedrock: an exception message rather than an event
}

type errKind int

const (
	errInvalid errKind = iota
	errAuth
	errPermission
	errNotFound
	errRateLimit
	errServer
	errUnavailable
	errOverloaded
)

// apiError is a failure before the answer starts, rendered natively by
// each provider.
type apiError struct {
	kind    errKind
	message string
	// code overrides the provider's usual code for the kind, such as
	// Azure's "DeploymentNotFound" or a Bedrock exception name.
	code string
}

func errorf(kind errKind, format string, args ...any) *apiError {
	return &apiError{kind: kind, message: fmt.Sprintf(format, args...)}
}

func (e *apiError) withCode(code string) *apiError {
	c := *e
	c.code = code
	return &c
}

func (e *apiError) status() int {
	switch e.kind {
	case errAuth:
		return http.StatusUnauthorized
	case errPermission:
		return http.StatusForbidden
	case errNotFound:
		return http.StatusNotFound
	case errRateLimit:
		return http.StatusTooManyRequests
	case errServer:
		return http.StatusInternalServerError
	case errUnavailable:
		return http.StatusServiceUnavailable
	case errOverloaded:
		return 529
	}
	return http.StatusBadRequest
}

// RetryAfterSeconds is the retry-after every rate-limit fault sends.
const RetryAfterSeconds = 7

// faultErrors maps the faults that replace the answer with an error.
var faultErrors = map[FaultKind]*apiError{
	RateLimited: {kind: errRateLimit, message: "Rate limit reached. Please try again in 7s."},
	ServerError: {kind: errServer, message: "The server had an error while processing your request."},
	Unavailable: {kind: errUnavailable, message: "The service is temporarily unavailable."},
	Overloaded:  {kind: errOverloaded, message: "Overloaded"},
}

func (f *Fake) fail(w http.ResponseWriter, e *apiError) {
	extra, body := f.p.errorBody(e)
	h := w.Header()
	for k, vs := range extra {
		h[k] = vs
	}
	if e.kind == errRateLimit {
		h.Set("Retry-After", strconv.Itoa(RetryAfterSeconds))
	}
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(e.status())
	_, _ = w.Write(body) // a failed write means the gateway hung up
}

// answer writes the response for c with fault applied.
func (f *Fake) answer(w http.ResponseWriter, r *http.Request, c *call, fault Fault, split Split) {
	if !sleep(r.Context(), fault.Delay) {
		return
	}
	if fault.Kind == StreamError && !c.stream {
		fault.Kind = ServerError
	}
	if e, ok := faultErrors[fault.Kind]; ok {
		f.fail(w, e)
		return
	}
	if c.stream {
		f.writeStream(w, r, c, fault, split)
		return
	}
	if fault.Kind == Reset {
		reset(w)
		return
	}
	body := f.p.body(c)
	w.Header().Set("Content-Type", "application/json")
	switch fault.Kind {
	case Malformed:
		body = body[:len(body)/2]
	case Cut:
		// Promise the whole body and deliver half: the server then closes
		// the connection and the client reads an unexpected EOF.
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		body = body[:len(body)/2]
	default:
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	}
	w.WriteHeader(http.StatusOK)
	_ = newPieceWriter(w, split).write(r.Context(), body) // an error means the gateway hung up
}

// writeStream sends the events, applying a stream fault at the middle one.
func (f *Fake) writeStream(w http.ResponseWriter, r *http.Request, c *call, fault Fault, split Split) {
	w.Header().Set("Content-Type", f.p.streamContentType())
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	pw := newPieceWriter(w, split)
	if pw.rc.Flush() != nil {
		return
	}
	ctx := r.Context()
	events := f.p.events(c)
	middle := len(events) / 2
	var buf []byte
	for i, ev := range events {
		if i == middle && fault.Kind != NoFault && fault.Kind != Slow {
			f.streamFault(w, r, pw, ev, fault.Kind)
			return
		}
		buf = f.p.encode(buf[:0], ev)
		if pw.write(ctx, buf) != nil || (i < len(events)-1 && !sleep(ctx, fault.Gap)) {
			return
		}
	}
}

// streamFault replaces the event ev, and everything after it, with fault.
func (f *Fake) streamFault(w http.ResponseWriter, r *http.Request, pw *pieceWriter, ev event, kind FaultKind) {
	var out []byte
	switch kind {
	case Reset:
		reset(w)
		return
	case Malformed:
		ev.data = ev.data[:len(ev.data)/2]
		out = f.p.encode(nil, ev)
	case Cut:
		out = f.p.encode(nil, ev)
		out = out[:len(out)/2]
	case StreamError:
		out = f.p.encode(nil, f.p.errorEvent())
	}
	_ = pw.write(r.Context(), out) // the stream ends here either way
}
