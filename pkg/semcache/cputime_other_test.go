//go:build !linux

package semcache

import "time"

// threadCPU is unavailable here; CPU percentiles then read zero.
func threadCPU() time.Duration { return 0 }
