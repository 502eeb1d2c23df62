package audit

import "time"

// batchMax is how many bytes the writer gathers into one sink write when
// records queue up: fewer system calls under load, and every write still
// holds whole records, so a file never rotates inside one.
const batchMax = 64 << 10

// batchLinger is how long the writer lets records gather after the first
// of a batch before it writes, unless a batch's worth queues up first: one
// wake-up and one write per batchMax bytes or per linger, whichever comes
// first, instead of one per request (see package linger for what a
// wake-up costs; a linger of 1 ms still cost make bench about 0.05 of its
// ratio at c=1, one of 100 ms nothing measurable). A record reaches the
// sinks at most that much later; Close still writes everything queued.
const batchLinger = 50 * time.Millisecond

// The least queue a writer lingers with: a full batch of the smallest
// records (149 bytes for an empty one, so 440 to a batch), with room for
// what arrives while it is written. Queues this large never have to wait
// out a linger to make room, as a full batch cuts it short
// (TestLingeringQueueHoldsAFullBatch).
const (
	lingerQueueRecords = 1024
	lingerQueueBytes   = 4 * batchMax
)

// run is the writer goroutine: it takes a record, lets more gather, and
// writes them as one batch, until Close.
func (w *Writer) run() {
	defer close(w.done)
	for {
		select {
		case it := <-w.q:
			w.idleTakes.Add(1)
			w.gather()
			w.write(it)
			w.follow()
		case <-w.stop:
			for {
				select {
				case it := <-w.q:
					w.write(it)
				default:
					w.finish()
					return
				}
			}
		}
	}
}

// gather waits batchLinger for more records to join the batch, unless a
// batch's worth is queued or Close comes first. Adding does not wake the
// writer meanwhile, except the Add that fills a batch.
func (w *Writer) gather() {
	if w.linger != nil {
		w.linger.Wait(w.stop)
	}
}

// follow goes on writing a batch each linger (or full batch) while
// records keep coming, and returns once a linger passes with nothing
// queued, or at Close. Under steady traffic a request's Add then finds
// the writer lingering rather than waiting on the queue, so it never has
// to wake the writer, and the runtime an idle core for it.
func (w *Writer) follow() {
	if w.linger == nil {
		return
	}
	for {
		w.gather()
		select {
		case it := <-w.q:
			w.write(it)
		default:
			return
		}
	}
}

// write writes it and whatever else is queued, up to batchMax bytes, in
// one write per sink.
func (w *Writer) write(first item) {
	saved, seg := w.chain.save(), w.segmentPending
	now := w.opts.Now()
	b := w.buf[:0]
	if seg {
		b = w.chain.appendSegment(b, now, w.reason, w.opts.Skipped)
	}
	var requests, carried uint64
	gap := w.lost
	add := func(it item) {
		w.queued.Add(-int64(len(*it.body)))
		w.count.Add(-1)
		if gap += it.gap; gap > 0 {
			b = w.chain.appendGap(b, now, gap)
			carried, gap = carried+gap, 0
		}
		var err error
		if b, err = w.chain.appendRecord(b, *it.body); err == nil {
			requests++
		}
		putBuf(it.body)
	}
	add(first)
	for len(b) < batchMax {
		select {
		case it := <-w.q:
			add(it)
			continue
		default:
		}
		break
	}
	w.buf = b
	if err := w.opts.Sinks[0].Write(b); err != nil {
		// The records never reached the trail: roll the chain back so
		// the file stays verifiable, and let the next gap record say
		// what was lost.
		w.chain.restore(saved)
		w.lost = carried + requests
		w.dropped.Add(requests)
		w.warn("audit sink write failed; records dropped", "err", err)
		return
	}
	w.lost, w.segmentPending, w.opts.Skipped = 0, false, 0
	w.written.Add(requests)
	w.copyToOthers(b)
}

func (w *Writer) copyToOthers(b []byte) {
	for _, s := range w.opts.Sinks[1:] {
		if err := s.Write(b); err != nil {
			w.sinkErrors.Add(1)
			w.warn("audit sink write failed", "err", err)
		}
	}
}

// finish writes what is left to say: drops not yet in a gap record, and
// the end record of this segment.
func (w *Writer) finish() {
	now := w.opts.Now()
	b := w.buf[:0]
	if w.segmentPending {
		b = w.chain.appendSegment(b, now, w.reason, w.opts.Skipped)
	}
	if gap := w.lost + w.unreported.Swap(0); gap > 0 {
		b = w.chain.appendGap(b, now, gap)
	}
	b = w.chain.appendEnd(b, now, w.written.Load(), w.dropped.Load())
	if err := w.opts.Sinks[0].Write(b); err != nil {
		w.opts.Log.Error("audit: writing the end of the trail", "err", err)
		return
	}
	w.copyToOthers(b)
}
