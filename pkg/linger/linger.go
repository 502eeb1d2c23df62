// Package linger paces a writer goroutine that drains a queue: after the
// first item of a batch it lets more gather for a while, unless producers
// say a batch is already full, and it keeps that cadence while items keep
// coming. A producer then never has to wake the writer for an item, and
// the runtime never has to wake an idle core for it: on a 2-core machine
// such a wake-up per millisecond cost make bench about 0.05 of its ratio
// at one request at a time (BENCHMARKS.md, the audit writer).
//
// The audit writer (pkg/audit) and the policy decision log (pkg/policy)
// use it.
package linger

import "time"

// Linger is one writer's pacing. Full may be called from any goroutine;
// Wait only from the writer's.
type Linger struct {
	d     time.Duration
	ready func() bool
	full  chan struct{}
	timer *time.Timer
}

// New paces batches of up to d. ready reports whether a batch's worth is
// already queued, in which case Wait does not wait.
func New(d time.Duration, ready func() bool) *Linger {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return &Linger{d: d, ready: ready, full: make(chan struct{}, 1), timer: t}
}

// Full tells a waiting writer that a batch's worth is queued. It never
// blocks; producers call it when their item fills a batch.
func (l *Linger) Full() {
	select {
	case l.full <- struct{}{}:
	default:
	}
}

// Wait lets a batch gather: it returns after d, or as soon as Full is
// called or a batch is ready, or when stop closes, in which case it
// returns false.
func (l *Linger) Wait(stop <-chan struct{}) bool {
	// A Full from before the last batch was taken says nothing now.
	select {
	case <-l.full:
	default:
	}
	if l.ready() {
		return true
	}
	l.timer.Reset(l.d)
	select {
	case <-l.timer.C:
		return true
	case <-l.full:
		l.timer.Stop()
		return true
	case <-stop:
		l.timer.Stop()
		return false
	}
}
