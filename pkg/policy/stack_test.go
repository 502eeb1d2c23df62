package policy

import (
	"context"
	"testing"
	"unsafe"

	"github.com/sluice-gw/sluice/pkg/stackroom"
)

// TestEvaluationsFitTheirStack holds StackBytes to the reference policy:
// on a goroutine that reserved it, a decision of the reference inputs must
// not grow the stack, which would copy every frame of the caller's
// pipeline. A copy moves the goroutine's locals, so a local's address
// tells. A garbage collection that finds the goroutine parked on a
// shallow stack may halve it mid-evaluation, so a rare growth is allowed;
// too small a reservation grows nearly every one.
func TestEvaluationsFitTheirStack(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's frames are larger than a build's")
	}
	e, ins := refEngine(t), refInputs()
	ctx := context.Background()
	for _, in := range ins {
		// The first evaluations compute the facts shared across
		// evaluations, deeper than any later one.
		_, _ = e.Evaluate(ctx, in)
	}
	grew := 0
	for i, in := range ins {
		done := make(chan bool)
		go func() {
			var local byte
			stackroom.Reserve(StackBytes)
			before := uintptr(unsafe.Pointer(&local))
			_, _ = e.Evaluate(ctx, in)
			done <- uintptr(unsafe.Pointer(&local)) != before
		}()
		if <-done {
			grew++
			t.Logf("input %d grew the stack", i)
		}
	}
	if grew > len(ins)/100 {
		t.Errorf("%d of %d decisions grew a stack that had StackBytes (%d) reserved", grew, len(ins), StackBytes)
	}
}
