package stackroom

import (
	"fmt"
	"testing"
	"unsafe"
)

// kilo is a frame of about a kilobyte; depth of them use depth KB of stack.
//
//go:noinline
func kilo(depth int) byte {
	var b [1000]byte
	if depth <= 1 {
		return b[depth&1]
	}
	return kilo(depth-1) + b[depth&7]
}

// moved reports whether a fresh goroutine's stack was copied while work
// ran, after Reserve(reserve): a copy moves the goroutine's locals, so the
// address of one taken before and after differs.
func moved(reserve int, work func()) bool {
	done := make(chan bool)
	go func() {
		var local byte
		Reserve(reserve)
		before := uintptr(unsafe.Pointer(&local))
		work()
		done <- uintptr(unsafe.Pointer(&local)) != before
	}()
	return <-done
}

func TestReserve(t *testing.T) {
	for _, tc := range []struct {
		reserve, kb int
		moves       bool
	}{
		// Without a reservation the work grows the stack: this is what
		// shows the check can fail.
		{0, 10, true},
		{0, 26, true},
		{12 << 10, 10, false},
		{8 << 10, 10, false}, // rounded up to the next size
		{12 << 10, 26, true}, // more than was reserved
		{Max, 26, false},
		{Max + 1, 26, false}, // at most Max
	} {
		t.Run(fmt.Sprintf("reserve=%d/work=%dKB", tc.reserve, tc.kb), func(t *testing.T) {
			if got := moved(tc.reserve, func() { kilo(tc.kb) }); got != tc.moves {
				t.Errorf("stack copied during the work: %v, want %v", got, tc.moves)
			}
		})
	}
}

// BenchmarkDeepGoroutine is a new goroutine that calls 26 KB deep, its
// stack grown on the way, or reserved at its start.
func BenchmarkDeepGoroutine(b *testing.B) {
	for _, reserve := range []int{0, Max} {
		b.Run(fmt.Sprintf("reserve=%d", reserve), func(b *testing.B) {
			done := make(chan struct{})
			for b.Loop() {
				go func() {
					Reserve(reserve)
					kilo(26)
					done <- struct{}{}
				}()
				<-done
			}
		})
	}
}
