package linger

import (
	"sync/atomic"
	"testing"
	"time"
)

const d = 50 * time.Millisecond

func TestWaitLingers(t *testing.T) {
	l := New(d, func() bool { return false })
	start := time.Now()
	if !l.Wait(make(chan struct{})) {
		t.Fatal("Wait returned false without stop")
	}
	if took := time.Since(start); took < d {
		t.Errorf("Wait returned after %s, before its linger of %s", took, d)
	}
}

func TestReadyDoesNotWait(t *testing.T) {
	l := New(time.Hour, func() bool { return true })
	if !l.Wait(make(chan struct{})) {
		t.Fatal("Wait returned false without stop")
	}
}

// A Full called while the writer waits cuts the linger short; one called
// before the wait began (the batch it announced already taken) does not.
// A busy machine may delay one attempt, so the test allows several.
func TestFullCutsTheLingerShort(t *testing.T) {
	var ready atomic.Bool
	l := New(d, ready.Load)
	l.Full() // stale
	start := time.Now()
	if !l.Wait(make(chan struct{})) {
		t.Fatal("Wait returned false without stop")
	}
	if took := time.Since(start); took < d {
		t.Errorf("a Full from before the wait cut it short: %s", took)
	}
	fastest := time.Hour
	for range 20 {
		done := make(chan time.Duration)
		go func() {
			start := time.Now()
			l.Wait(make(chan struct{}))
			done <- time.Since(start)
		}()
		time.Sleep(d / 10) // the writer is waiting on its timer by now
		l.Full()
		fastest = min(fastest, <-done)
		if fastest < d*3/10 {
			return
		}
	}
	t.Errorf("Full did not cut the linger short: the fastest wait took %s of %s", fastest, d)
}

func TestStopEndsTheWait(t *testing.T) {
	l := New(time.Hour, func() bool { return false })
	stop := make(chan struct{})
	close(stop)
	if l.Wait(stop) {
		t.Fatal("Wait returned true after stop closed")
	}
}
