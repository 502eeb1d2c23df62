package semcache

import (
	"time"

	"golang.org/x/sys/unix"
)

// threadCPU is the calling thread's CPU time: unlike wall time, it does
// not count the time other processes on a busy machine take the core.
func threadCPU() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return 0
	}
	return time.Duration(ts.Nano())
}
