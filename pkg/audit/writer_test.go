package audit

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tidwall/gjson"

	"github.com/sluice-gw/sluice/pkg/config"
)

// stalledSink blocks every write until released, like a disk or
// collector that stopped answering.
type stalledSink struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	entered chan struct{}
	release chan struct{}
	once    sync.Once
}

func newStalledSink() *stalledSink {
	return &stalledSink{entered: make(chan struct{}), release: make(chan struct{})}
}

func (s *stalledSink) Write(p []byte) error {
	s.once.Do(func() { close(s.entered) })
	<-s.release
	s.mu.Lock()
	defer s.mu.Unlock()
	s.buf.Write(p)
	return nil
}

func (*stalledSink) Close(context.Context) error { return nil }

func (s *stalledSink) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

func request(id string) *Record {
	return &Record{Time: time.Unix(1700000000, 0), Level: "standard", RequestID: id, API: "chat_completions", Model: "gpt-4o", Status: 200}
}

// queueSizes are the record bounds the writer tests run with: a small
// queue, which writes as soon as a record arrives, and the least queue
// that lingers, as every production queue does.
var queueSizes = []int{8, lingerQueueRecords}

// newTestWriter starts a writer with room for queue records and the
// configuration's default bytes, and checks that it lingers exactly when
// the queue is big enough to.
func newTestWriter(t *testing.T, queue int, sinks ...Sink) *Writer {
	t.Helper()
	w, err := NewWriter(Options{Sinks: sinks, QueueRecords: queue, QueueBytes: config.DefaultAuditQueueBytes})
	if err != nil {
		t.Fatal(err)
	}
	if want := queue >= lingerQueueRecords; (w.linger != nil) != want {
		t.Fatalf("a queue of %d records lingers = %v, want %v", queue, w.linger != nil, want)
	}
	return w
}

func TestStalledSink(t *testing.T) {
	for _, queue := range queueSizes {
		t.Run("queue="+strconv.Itoa(queue), func(t *testing.T) { testStalledSink(t, queue) })
	}
}

func testStalledSink(t *testing.T, queue int) {
	total := queue + 42
	sink := newStalledSink()
	w := newTestWriter(t, queue, sink)
	// The first record reaches the sink and stalls the writer there.
	if !w.Add(request("r0")) {
		t.Fatal("first record dropped")
	}
	<-sink.entered
	start := time.Now()
	accepted := 1
	for i := 1; i < total; i++ {
		if w.Add(request("r" + strconv.Itoa(i))) {
			accepted++
		}
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("adding %d records to a stalled writer took %s; adding must never block", total, d)
	}
	if accepted != 1+queue {
		t.Errorf("accepted %d records, want %d (one in the sink, the queue full)", accepted, 1+queue)
	}
	if got, want := w.Dropped(), uint64(total-accepted); got != want {
		t.Errorf("Dropped() = %d, want %d", got, want)
	}
	if w.Queued() > queue {
		t.Errorf("queue holds %d records, bound %d", w.Queued(), queue)
	}
	// One more after the drops: its gap record comes first.
	close(sink.release)
	waitFor(t, func() bool { return w.Queued() == 0 })
	if !w.Add(request("after")) {
		t.Fatal("record after the release dropped")
	}
	if err := w.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	out := sink.String()
	var ids []string
	var gaps []uint64
	for line := range strings.Lines(out) {
		switch gjson.Get(line, "type").Str {
		case TypeRequest:
			ids = append(ids, gjson.Get(line, "request_id").Str)
		case TypeGap:
			gaps = append(gaps, gjson.Get(line, "dropped").Uint())
			ids = append(ids, "gap")
		}
	}
	want := []string{"r0"}
	for i := 1; i <= queue; i++ {
		want = append(want, "r"+strconv.Itoa(i))
	}
	want = append(want, "gap", "after")
	if strings.Join(ids, ",") != strings.Join(want, ",") {
		t.Errorf("records in order:\n got %v\nwant %v", ids, want)
	}
	if len(gaps) != 1 || gaps[0] != uint64(total-accepted) {
		t.Errorf("gap records %v, want one of %d", gaps, total-accepted)
	}
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	if err := os.WriteFile(path, []byte(out), 0o600); err != nil {
		t.Fatal(err)
	}
	rep, err := VerifyPaths([]string{path}, VerifyOptions{})
	if err != nil {
		t.Fatalf("verify: %v\n%s", err, out)
	}
	if rep.Dropped != uint64(total-accepted) || !rep.Ended {
		t.Errorf("report %+v: want %d dropped and an end record", rep, total-accepted)
	}
}

func TestQueueBytesBound(t *testing.T) {
	sink := newStalledSink()
	w, err := NewWriter(Options{Sinks: []Sink{sink}, QueueRecords: 1000, QueueBytes: 1000})
	if err != nil {
		t.Fatal(err)
	}
	w.Add(request("r0"))
	<-sink.entered
	n := 0
	for i := range 100 {
		if w.Add(request("r" + strconv.Itoa(i+1))) {
			n++
		}
	}
	if q := w.queued.Load(); q > 1000 {
		t.Errorf("queued %d bytes, bound 1000", q)
	}
	if n == 0 || n == 100 || w.Dropped() != uint64(100-n) {
		t.Errorf("accepted %d of 100, dropped %d: want the byte bound to drop some, counted", n, w.Dropped())
	}
	close(sink.release)
	if err := w.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// failingSink fails its first writes, then works.
type failingSink struct {
	fails int
	buf   bytes.Buffer
}

func (s *failingSink) Write(p []byte) error {
	if s.fails > 0 {
		s.fails--
		return errors.New("disk full")
	}
	s.buf.Write(p)
	return nil
}

func (*failingSink) Close(context.Context) error { return nil }

func TestFailedWriteLeavesAVerifiableGap(t *testing.T) {
	for _, queue := range queueSizes {
		t.Run("queue="+strconv.Itoa(queue), func(t *testing.T) { testFailedWriteLeavesAVerifiableGap(t, queue) })
	}
}

func testFailedWriteLeavesAVerifiableGap(t *testing.T, queue int) {
	sink := &failingSink{fails: 1}
	w := newTestWriter(t, queue, sink)
	w.Add(request("lost"))
	waitFor(t, func() bool { return w.Dropped() == 1 })
	w.Add(request("kept"))
	if err := w.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	out := sink.buf.String()
	if strings.Contains(out, `"lost"`) || !strings.Contains(out, `"kept"`) {
		t.Errorf("trail:\n%s", out)
	}
	rep := verifyString(t, out, VerifyOptions{})
	if rep.Dropped != 1 || rep.Segments != 1 {
		t.Errorf("report %+v, want the segment written once and a gap of 1", rep)
	}
}

func TestCloseDeadline(t *testing.T) {
	sink := newStalledSink()
	w, err := NewWriter(Options{Sinks: []Sink{sink}, QueueRecords: 16, QueueBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	w.Add(request("r0"))
	<-sink.entered
	w.Add(request("r1"))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := w.Close(ctx); err == nil {
		t.Error("Close with a stalled sink returned nil, want the deadline error")
	}
	if w.Add(request("late")) {
		t.Error("Add after Close accepted a record")
	}
	if w.Dropped() != 2 {
		t.Errorf("Dropped() = %d, want 2 (one queued at the deadline, one after Close)", w.Dropped())
	}
	close(sink.release)
}

func TestFileResumesChainAcrossRestartAndRotation(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.jsonl")
	run := func(ids ...string) {
		fs, last, skipped, err := OpenFile(FileOptions{Path: path, MaxBytes: mib})
		if err != nil {
			t.Fatal(err)
		}
		w, err := NewWriter(Options{Sinks: []Sink{fs}, QueueRecords: 16, QueueBytes: 1 << 20, Resume: last, Skipped: skipped})
		if err != nil {
			t.Fatal(err)
		}
		for i, id := range ids {
			w.Add(request(id))
			waitFor(t, func() bool { return w.Written() == uint64(i+1) })
			if id == "rotate" {
				// Written is counted after the sink's write returned:
				// the writer goroutine no longer touches the file.
				if err := fs.Rotate(); err != nil {
					t.Fatal(err)
				}
			}
		}
		if err := w.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	run("a", "b")
	run("c", "rotate", "d")
	// A crash mid-write leaves half a record behind.
	appendTo(t, path, `{"seq":99,"prev":"abc","type":"req`)
	run("e")
	files, err := rotated(path)
	if err != nil || len(files) != 1 {
		t.Fatalf("rotated files %v, %v; want one", files, err)
	}
	rep, err := VerifyPaths([]string{dir}, VerifyOptions{})
	if err != nil {
		t.Fatalf("verify %s: %v", dir, err)
	}
	if rep.Requests != 6 || rep.Segments != 3 || rep.Files != 2 || rep.FirstSeq != 1 || !rep.Ended {
		t.Errorf("report %+v", rep)
	}
	// In the wrong order the files do not chain.
	if _, err := VerifyPaths([]string{path, files[0]}, VerifyOptions{}); err == nil {
		t.Error("verify accepted the files out of order")
	}
}

func TestHMACChain(t *testing.T) {
	sink := &failingSink{}
	w, err := NewWriter(Options{Sinks: []Sink{sink}, QueueRecords: 4, QueueBytes: 1 << 20, HMACKey: []byte("k1")})
	if err != nil {
		t.Fatal(err)
	}
	w.Add(request("a"))
	if err := w.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	out := sink.buf.String()
	verifyString(t, out, VerifyOptions{HMACKey: []byte("k1")})
	for _, opts := range []VerifyOptions{{}, {HMACKey: []byte("k2")}} {
		if _, err := verifyErr(t, out, opts); err == nil {
			t.Errorf("verify with key %q accepted a chain keyed with k1", opts.HMACKey)
		}
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(time.Millisecond)
	}
}

func appendTo(t *testing.T, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func verifyErr(t *testing.T, trail string, opts VerifyOptions) (Report, error) {
	t.Helper()
	v := NewVerifier(opts)
	if err := v.File("audit.jsonl", strings.NewReader(trail)); err != nil {
		return Report{}, err
	}
	return v.Finish()
}

func verifyString(t *testing.T, trail string, opts VerifyOptions) Report {
	t.Helper()
	rep, err := verifyErr(t, trail, opts)
	if err != nil {
		t.Fatalf("verify: %v\n%s", err, trail)
	}
	return rep
}
