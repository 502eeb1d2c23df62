package audit

import (
	"bytes"
	"context"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tidwall/gjson"

	"github.com/sluice-gw/sluice/pkg/config"
)

// countingSink keeps what it is given and counts the writes.
type countingSink struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	writes  int
	partial int // writes that did not end with a whole record
}

func (s *countingSink) Write(p []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes++
	if len(p) == 0 || p[len(p)-1] != '\n' {
		s.partial++
	}
	s.buf.Write(p)
	return nil
}

func (*countingSink) Close(context.Context) error { return nil }

func (s *countingSink) result() (out string, writes, partial int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String(), s.writes, s.partial
}

// newLingeringWriter starts a writer with the default queue bounds of
// Sluice's configuration, which always linger.
func newLingeringWriter(t *testing.T, sink Sink) *Writer {
	t.Helper()
	return newTestWriter(t, config.DefaultAuditQueueRecords, sink)
}

// checkTrail verifies the chain of out and that it holds exactly the
// request records ids, in order, with no drop, closed by an end record.
func checkTrail(t *testing.T, out string, ids []string) {
	t.Helper()
	var got []string
	for line := range strings.Lines(out) {
		switch typ := gjson.Get(line, "type").Str; typ {
		case TypeRequest:
			got = append(got, gjson.Get(line, "request_id").Str)
		case TypeGap:
			t.Errorf("unexpected gap record: %s", line)
		}
	}
	if strings.Join(got, ",") != strings.Join(ids, ",") {
		t.Errorf("trail holds %d request records, want %d in the order added", len(got), len(ids))
	}
	rep := verifyString(t, out, VerifyOptions{})
	if rep.Requests != len(ids) || rep.Dropped != 0 || rep.Segments != 1 || !rep.Ended {
		t.Errorf("report %+v: want %d requests, none dropped, one segment, ended", rep, len(ids))
	}
}

// A burst of records reaches the sink in a few large writes. The bound is
// exact rather than a guess at the machine's speed: a write either follows
// a whole linger, or holds at least batchMax bytes, or is one of the three
// that Close may cause (the cut-short linger, the last of the queue, the
// end record). The adder yields after each record, as a gateway's request
// goroutines give way to each other: a writer that did not linger would
// wake and write for nearly every record.
func TestLingerBatchesABurst(t *testing.T) {
	const total = 3000
	sink := &countingSink{}
	w := newLingeringWriter(t, sink)
	ids := make([]string, total)
	recs := make([]*Record, total)
	for i := range total {
		ids[i] = "r" + strconv.Itoa(i)
		recs[i] = request(ids[i])
	}
	start := time.Now()
	for _, r := range recs {
		if !w.Add(r) {
			t.Fatalf("record %s dropped", r.RequestID)
		}
		runtime.Gosched()
	}
	if err := w.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(start)
	out, writes, partial := sink.result()
	bound := len(out)/batchMax + int(elapsed/batchLinger) + 3
	t.Logf("%d records, %d bytes in %d writes within %s (bound %d)", total, len(out), writes, elapsed, bound)
	if writes > bound {
		t.Errorf("%d writes for %d records in %s; lingering allows at most %d", writes, total, elapsed, bound)
	}
	if partial > 0 {
		t.Errorf("%d writes did not end with a whole record", partial)
	}
	if w.Written() != total || w.Dropped() != 0 {
		t.Errorf("Written() = %d, Dropped() = %d; want %d and 0", w.Written(), w.Dropped(), total)
	}
	checkTrail(t, out, ids)
}

// Close does not wait out a linger: it cuts it short and writes the record
// the writer lingers with and those that queued behind it. Returning
// within batchLinger of the first Add proves the linger was cut short, as
// its timer cannot fire sooner; a busy machine may delay one attempt past
// that, so the test allows several.
func TestCloseDuringLinger(t *testing.T) {
	const attempts, more = 50, 20
	var fastest time.Duration
	for attempt := range attempts {
		sink := &countingSink{}
		w := newLingeringWriter(t, sink)
		ids := []string{"r0"}
		for i := 1; i <= more; i++ {
			ids = append(ids, "r"+strconv.Itoa(i))
		}
		recs := make([]*Record, len(ids))
		for i, id := range ids {
			recs[i] = request(id)
		}
		start := time.Now()
		w.Add(recs[0])
		// The writer has taken the first record and lingers with it
		// until batchLinger passes or Close comes.
		for w.Queued() > 0 {
			if time.Since(start) > 5*time.Second {
				t.Fatal("the writer did not take the first record within 5s")
			}
			runtime.Gosched()
		}
		for _, r := range recs[1:] {
			if !w.Add(r) {
				t.Fatalf("record %s dropped", r.RequestID)
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := w.Close(ctx)
		cancel()
		took := time.Since(start)
		if err != nil {
			t.Fatalf("Close during a linger: %v", err)
		}
		out, _, partial := sink.result()
		if partial > 0 {
			t.Errorf("%d writes did not end with a whole record", partial)
		}
		if w.Written() != uint64(len(ids)) || w.Dropped() != 0 {
			t.Errorf("Written() = %d, Dropped() = %d; want %d and 0", w.Written(), w.Dropped(), len(ids))
		}
		checkTrail(t, out, ids)
		if t.Failed() {
			return
		}
		if attempt == 0 || took < fastest {
			fastest = took
		}
		if took < batchLinger {
			t.Logf("attempt %d: Close returned %s after the first Add", attempt+1, took)
			return
		}
	}
	t.Errorf("in %d attempts, Close never returned within the %s linger (fastest %s): it waits the linger out",
		attempts, batchLinger, fastest)
}

// TestSteadyTrafficDoesNotWakeTheWriter adds records faster than one a
// linger, as a busy gateway does (one every 100µs), and checks that no
// request has to wake the writer but the first: the writer keeps to its
// own timer and to full batches. Each write holds many records.
func TestSteadyTrafficDoesNotWakeTheWriter(t *testing.T) {
	sink := &countingSink{}
	w := newLingeringWriter(t, sink)
	var ids []string
	for start := time.Now(); time.Since(start) < 2*batchLinger; {
		id := "r" + strconv.Itoa(len(ids))
		if !w.Add(request(id)) {
			t.Fatalf("record %s dropped", id)
		}
		ids = append(ids, id)
		// time.Sleep can take a millisecond here.
		for next := time.Now().Add(100 * time.Microsecond); time.Now().Before(next); {
			runtime.Gosched()
		}
	}
	woken := w.idleTakes.Load()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	out, writes, _ := sink.result()
	checkTrail(t, out, ids)
	t.Logf("%d records in %d writes; %d batches began with a wake-up", len(ids), writes, woken)
	if woken > 2 {
		t.Errorf("%d batches began by waking the writer; want the first only (two on a machine that paused the adder for a linger)", woken)
	}
	if len(ids) < 10*writes {
		t.Errorf("%d records in %d writes: want batches of ten records or more", len(ids), writes)
	}
}

// TestFullBatchCutsTheLingerShort fills a batch and checks that the
// writer writes it without waiting out the linger: a burst larger than
// the linger's worth of traffic must not wait in the queue. A busy
// machine may delay one attempt, so the test allows several.
func TestFullBatchCutsTheLingerShort(t *testing.T) {
	const attempts = 20
	var fastest time.Duration
	for attempt := range attempts {
		sink := &countingSink{}
		w := newLingeringWriter(t, sink)
		for i := 0; w.queued.Load() < batchMax; i++ {
			if !w.Add(request("r" + strconv.Itoa(i))) {
				t.Fatalf("record %d dropped", i)
			}
			if i == 0 {
				// The writer takes the first record and lingers with it;
				// the rest of the batch comes once it waits on its timer.
				for w.Queued() > 0 {
					runtime.Gosched()
				}
				time.Sleep(batchLinger / 10)
			}
		}
		start := time.Now()
		for {
			if _, writes, _ := sink.result(); writes > 0 {
				break
			}
			if time.Since(start) > 5*time.Second {
				t.Fatal("no write within 5s of a full batch")
			}
			runtime.Gosched()
		}
		took := time.Since(start)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := w.Close(ctx)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		if attempt == 0 || took < fastest {
			fastest = took
		}
		if took < batchLinger/2 {
			t.Logf("attempt %d: a full batch was written %s after it filled", attempt+1, took)
			return
		}
	}
	t.Errorf("in %d attempts a full batch waited at least %s for its write (linger %s): the writer waited out its linger", attempts, fastest, batchLinger)
}

// TestLingeringQueueHoldsAFullBatch holds the bound a lingering writer
// relies on: the Add that fills a batch (batchMax bytes) wakes it, so its
// queue must hold a batch of the smallest records, with room to spare,
// before its record bound refuses any.
func TestLingeringQueueHoldsAFullBatch(t *testing.T) {
	var empty Record
	smallest := len(empty.AppendJSON(nil))
	if perBatch := batchMax / smallest; 2*perBatch > lingerQueueRecords {
		t.Errorf("a batch holds up to %d records of %d bytes; a lingering queue of %d records leaves no room for the next", perBatch, smallest, lingerQueueRecords)
	}
	if 2*batchMax > lingerQueueBytes {
		t.Errorf("a lingering queue of %d bytes holds less than two batches of %d", lingerQueueBytes, batchMax)
	}
}
