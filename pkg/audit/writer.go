package audit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sluice-gw/sluice/pkg/linger"
)

// Sink receives complete records, each a JSON object and a newline.
// Write is only ever called from the writer goroutine.
type Sink interface {
	Write(lines []byte) error
	Close(ctx context.Context) error
}

// Options configure a Writer.
type Options struct {
	// Sinks receive every record. The chain is kept true to Sinks[0] (the
	// file, when there is one): a batch it fails to take is dropped and
	// counted, and the chain resumes from its last record. A failure of
	// another sink is logged and counted in SinkErrors.
	Sinks []Sink
	// QueueRecords and QueueBytes bound what waits for the writer.
	QueueRecords int
	QueueBytes   int64
	// HMACKey, when set, links records with HMAC-SHA256.
	HMACKey []byte
	// Resume is the last complete record of the file Sinks[0] appends
	// to; nil starts a new chain at genesis. Skipped is the length of an
	// incomplete line after it, which the segment record accounts for.
	Resume  []byte
	Skipped int
	Log     *slog.Logger
	// WarnEvery rate-limits the warning about dropped records. Default 10s.
	WarnEvery time.Duration
	// Now replaces time.Now, for tests.
	Now func() time.Time
}

// Writer writes records asynchronously through a bounded queue, in the
// order they were added, from one goroutine that owns the chain. Adding
// never blocks: a record that does not fit is dropped and counted, and the
// chain gets a gap record in its place.
type Writer struct {
	opts  Options
	q     chan item
	chain *chain

	mu     sync.RWMutex // Close holds it to stop Adds; Adds share it
	closed bool
	stop   chan struct{}
	done   chan struct{}

	queued     atomic.Int64  // bytes waiting
	count      atomic.Int64  // records waiting or being added
	dropped    atomic.Uint64 // every record lost, for Dropped
	unreported atomic.Uint64 // drops no gap record carries yet
	written    atomic.Uint64
	sinkErrors atomic.Uint64
	lastWarn   atomic.Int64
	// idleTakes counts the batches begun by a record the writer was
	// idle for, each of which an Add had to wake it up to take.
	idleTakes atomic.Uint64

	// linger paces the writer when the queue has room for what arrives
	// while it lingers, at any plausible request rate; nil otherwise.
	linger *linger.Linger

	// Owned by the writer goroutine.
	buf            []byte
	lost           uint64 // records of failed writes, for the next gap
	segmentPending bool
	reason         string
}

type item struct {
	body *[]byte
	gap  uint64 // drops just before this record
}

// NewWriter starts a writer. Close flushes and stops it.
func NewWriter(opts Options) (*Writer, error) {
	if len(opts.Sinks) == 0 {
		return nil, errors.New("audit: no sink")
	}
	if opts.QueueRecords <= 0 || opts.QueueBytes <= 0 {
		return nil, errors.New("audit: queue bounds must be positive")
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.WarnEvery <= 0 {
		opts.WarnEvery = 10 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	w := &Writer{opts: opts, q: make(chan item, opts.QueueRecords), chain: newChain(opts.HMACKey),
		stop: make(chan struct{}), done: make(chan struct{}), segmentPending: true, reason: "start"}
	if opts.Resume != nil {
		if err := w.chain.resume(opts.Resume); err != nil {
			return nil, fmt.Errorf("audit: cannot continue the chain: %w", err)
		}
		w.reason = "resume"
	}
	w.lastWarn.Store(-int64(opts.WarnEvery))
	if opts.QueueRecords >= lingerQueueRecords && opts.QueueBytes >= lingerQueueBytes {
		w.linger = linger.New(batchLinger, func() bool { return w.queued.Load() >= batchMax })
	}
	go w.run()
	return w, nil
}

var bufs = sync.Pool{New: func() any { b := make([]byte, 0, 2048); return &b }}

// maxPooled keeps a rare huge record's buffer out of the pool.
const maxPooled = 64 << 10

func putBuf(b *[]byte) {
	if cap(*b) <= maxPooled {
		*b = (*b)[:0]
		bufs.Put(b)
	}
}

// Add encodes r and queues it. It never blocks; it reports false when the
// record was dropped because the queue was full or the writer closed.
func (w *Writer) Add(r *Record) bool {
	b, _ := bufs.Get().(*[]byte)
	*b = r.AppendJSON((*b)[:0])
	return w.enqueue(b)
}

func (w *Writer) enqueue(b *[]byte) bool {
	n := int64(len(*b))
	w.mu.RLock()
	defer w.mu.RUnlock()
	if w.closed {
		putBuf(b)
		w.drop("audit writer closed; record dropped")
		return false
	}
	// Reserve room first: once both bounds hold a place, the send cannot
	// block, and the drops counted so far go with this record.
	queued := w.queued.Add(n)
	if queued > w.opts.QueueBytes {
		w.queued.Add(-n)
		w.reject(b)
		return false
	}
	if w.count.Add(1) > int64(w.opts.QueueRecords) {
		w.count.Add(-1)
		w.queued.Add(-n)
		w.reject(b)
		return false
	}
	w.q <- item{body: b, gap: w.unreported.Swap(0)}
	if w.linger != nil && queued >= batchMax && queued-n < batchMax {
		// This record filled a batch: the writer need not wait out its
		// linger.
		w.linger.Full()
	}
	return true
}

func (w *Writer) reject(b *[]byte) {
	putBuf(b)
	w.drop("audit queue full; records dropped")
}

func (w *Writer) drop(msg string) {
	w.dropped.Add(1)
	w.unreported.Add(1)
	w.warn(msg)
}

// warn logs at most once per WarnEvery, with the running total: a stalled
// sink must not flood the log it may share a disk with.
func (w *Writer) warn(msg string, args ...any) {
	now := w.opts.Now().UnixNano()
	last := w.lastWarn.Load()
	if now-last < int64(w.opts.WarnEvery) || !w.lastWarn.CompareAndSwap(last, now) {
		return
	}
	w.opts.Log.Warn(msg, append(args, "dropped_total", w.dropped.Load(), "sink_errors", w.sinkErrors.Load())...)
}

// Dropped is how many records were lost since the writer started: the
// queue was full, a write to the first sink failed, or shutdown came
// first. Every one of them is counted here, and every one that happened
// while the writer ran is also in a gap record of the chain.
func (w *Writer) Dropped() uint64 { return w.dropped.Load() }

// Written is how many request records reached the first sink.
func (w *Writer) Written() uint64 { return w.written.Load() }

// SinkErrors is how many writes to sinks other than the first failed.
func (w *Writer) SinkErrors() uint64 { return w.sinkErrors.Load() }

// Queued is how many records wait for the writer.
func (w *Writer) Queued() int { return len(w.q) }

// Close stops taking records, writes every queued one and the segment's
// end record, and closes the sinks, within ctx's deadline. Records still
// queued when the deadline passes are counted as dropped.
func (w *Writer) Close(ctx context.Context) error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return nil
	}
	w.closed = true
	w.mu.Unlock()
	close(w.stop)
	select {
	case <-w.done:
	case <-ctx.Done():
		n := uint64(len(w.q))
		w.dropped.Add(n)
		return fmt.Errorf("audit: %d queued records not written before the shutdown deadline: %w", n, ctx.Err())
	}
	var errs []error
	for _, s := range w.opts.Sinks {
		errs = append(errs, s.Close(ctx))
	}
	return errors.Join(errs...)
}
