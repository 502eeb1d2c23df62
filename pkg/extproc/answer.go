package extproc

import (
	"slices"
	"strconv"
	"sync"
	"unsafe"

	extprocv3 "github.com/envoyproxy/go-control-plane/envoy/service/ext_proc/v3"

	"github.com/sluice-gw/sluice/pkg/pipeline"
)

// answer is a stream's next ProcessingResponse, other than an immediate
// one: what it says, then its encoding. A stream keeps one and reuses it
// for each of its messages: Send has marshalled an answer before the next
// message is read, and nothing keeps a reference to it.
type answer struct {
	status     extprocv3.CommonResponse_ResponseStatus
	sets       []pipeline.Header
	removes    []string
	body       []byte
	replace    bool
	clearRoute bool
	streamed   bool   // switch the response body to STREAMED
	meta       []byte // the encoded dynamic metadata, or nothing

	resp    extprocv3.ProcessingResponse // carries wire as its unknown fields
	encoded encoded                      // wire, for the codec
	wire    []byte
	kept    []pipeline.Header // the header sets that change something
	kvs     []pipeline.Header // the metadata, sorted
	digit   [20]byte          // content-length's value

	// First storage of the slices above, inside the stream's own
	// allocation: enough for a usual answer.
	wireArr [512]byte
	metaArr [384]byte
	keptArr [8]pipeline.Header
	kvArr   [12]pipeline.Header
	oneArr  [1]pipeline.Header
}

// Answers, with their buffers, pass from one stream to the next: a
// stream's answer is nearly two kilobytes, most of what a plain request
// would otherwise allocate.
var answers = sync.Pool{New: func() any { return new(answer) }}

// maxKeptAnswer is the largest wire buffer an answer keeps when it goes
// back to the pool: one replaced multi-megabyte body should not stay
// pinned in memory.
const maxKeptAnswer = 64 << 10

func takeAnswer() *answer {
	a := answers.Get().(*answer)
	a.reset()
	return a
}

func putAnswer(a *answer) {
	// Nothing of the stream's request stays in the pool: not its replaced
	// body, its header and metadata values, nor the bytes encoded from
	// them (a replaced body may be a prompt).
	if cap(a.wire) > maxKeptAnswer {
		a.wire = nil
	}
	clear(a.wire[:cap(a.wire)])
	// An answer that outgrew wireArr left its earlier bytes there.
	clear(a.wireArr[:])
	a.reset()
	a.kept, a.kvs, a.meta = nil, nil, nil
	clear(a.keptArr[:])
	clear(a.kvArr[:])
	clear(a.oneArr[:])
	clear(a.metaArr[:])
	a.resp.Reset()
	answers.Put(a)
}

// reset empties a for the next message, keeping its buffers.
func (a *answer) reset() {
	a.status, a.sets, a.removes, a.body = extprocv3.CommonResponse_CONTINUE, nil, nil, nil
	a.replace, a.clearRoute, a.streamed, a.meta = false, false, false, a.meta[:0]
}

// common takes what m asks of Envoy. held is the header map Envoy holds
// for the phase, which no earlier answer of the stream has changed.
func (a *answer) common(m *pipeline.Mutation, held pipeline.Headers) {
	a.sets, a.removes = m.SetHeaders, m.RemoveHeaders
	if !m.ClearRouteCache {
		// Envoy re-matches the route only beside a header mutation, so a
		// clearing answer sends every header it sets; others leave out
		// what Envoy already holds.
		a.sets = a.changes(m, held)
	}
	if m.ReplaceBody {
		a.replaceBody(m.Body)
	}
	// Envoy re-matches the route only when a header mutation accompanies
	// the clear; the route stage always sets x-sluice-backend with it.
	a.clearRoute = m.ClearRouteCache && a.mutatesHeaders()
}

func (a *answer) mutatesHeaders() bool { return len(a.sets) > 0 || len(a.removes) > 0 }

// changes returns m's header sets without those that change nothing:
// setting a header Envoy holds once, to the value it has, when m neither
// removes it (Envoy removes before it sets) nor sets it twice. Envoy ends
// up with the same headers, and has less to decode and apply.
func (a *answer) changes(m *pipeline.Mutation, held pipeline.Headers) []pipeline.Header {
	for i, h := range m.SetHeaders {
		if !unchanged(h, m, held) {
			continue
		}
		if a.kept == nil {
			a.kept = a.keptArr[:0]
		}
		kept := append(a.kept[:0], m.SetHeaders[:i]...)
		for _, h := range m.SetHeaders[i+1:] {
			if !unchanged(h, m, held) {
				kept = append(kept, h)
			}
		}
		a.kept = kept
		return kept
	}
	return m.SetHeaders
}

func unchanged(h pipeline.Header, m *pipeline.Mutation, held pipeline.Headers) bool {
	n, same := count(held, h)
	if n != 1 || !same {
		return false
	}
	n, _ = count(m.SetHeaders, h)
	return n == 1 && !slices.Contains(m.RemoveHeaders, h.Key)
}

// count is how many of hs are named h.Key, and whether they all have the
// value h.Value.
func count(hs []pipeline.Header, h pipeline.Header) (n int, same bool) {
	same = true
	for _, kv := range hs {
		if kv.Key == h.Key {
			n++
			same = same && kv.Value == h.Value
		}
	}
	return n, same
}

// replaceBody replaces the body Envoy holds with body, empty or not.
func (a *answer) replaceBody(body []byte) { a.body, a.replace = body, true }

// setContentLength makes content-length n the only header the answer
// changes.
func (a *answer) setContentLength(n int) {
	v := strconv.AppendInt(a.digit[:0], int64(n), 10)
	a.oneArr[0] = pipeline.Header{Key: "content-length",
		Value: unsafe.String(unsafe.SliceData(v), len(v))} //nolint:gosec // v lives in a, as long as the answer
	a.sets, a.removes = a.oneArr[:], nil
}

// finish encodes the answer as the response to the message of kind, one
// of ProcessingResponse's request_headers, response_headers,
// request_body or response_body fields.
func (a *answer) finish(kind fieldNumber) *extprocv3.ProcessingResponse {
	if a.wire == nil {
		a.wire = a.wireArr[:0]
	}
	a.wire = a.encode(a.wire[:0], kind)
	a.resp.ProtoReflect().SetUnknown(a.wire)
	a.encoded.b = a.wire
	return &a.resp
}

// encoded is a ProcessingResponse already in its wire form, which the
// codec sends as it is: protobuf-go would size and copy it through its
// reflection, which costs about as much as Sluice's encoding of it.
type encoded struct{ b []byte }
