// Package stackroom grows a goroutine's stack ahead of deep work.
//
// A goroutine starts with a small stack and doubles it whenever a call
// would overflow it. Each doubling copies every frame on the stack and
// walks each one to adjust the pointers into it, so its cost grows with
// the number of frames, not their size. Growth that happens deep in a call
// chain (a gRPC receive under a stream handler, a policy evaluation's
// recursion) therefore costs several microseconds, and a new goroutine pays
// it once per doubling. Reserving the room at the top of the chain grows
// the stack once, while it holds a handful of frames.
package stackroom

// Max is the most room Reserve makes.
const Max = 28 << 10

// Reserve makes sure that at least n bytes of stack (at most Max) are
// free below its caller's frame, growing the stack in one step if they are
// not. The stack stays grown until the goroutine ends or the garbage
// collector finds it mostly unused.
func Reserve(n int) {
	switch {
	case n <= 0:
	case n <= 12<<10:
		_ = pad12(0)
	default:
		_ = pad28(0)
	}
}

// The pads are frames of a fixed size: a function's prologue checks its
// whole frame against the stack's bound before anything runs, so calling
// one grows the stack to fit it. The array is only touched when the
// argument is not zero, and Reserve always passes zero: the compiler can
// drop neither the array nor the frame, yet the frame is never cleared.

//go:noinline
func pad12(touch int) byte {
	if touch != 0 {
		var pad [12 << 10]byte
		return pad[uint(touch)%uint(len(pad))]
	}
	return 0
}

//go:noinline
func pad28(touch int) byte {
	if touch != 0 {
		var pad [Max]byte
		return pad[uint(touch)%uint(len(pad))]
	}
	return 0
}
