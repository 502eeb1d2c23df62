package limitstest

import (
	"slices"
	"time"
)

// Latency summarises the durations of many runs of one operation.
type Latency struct {
	N             int
	P50, P99, Max time.Duration
}

// MeasureLatency runs op n times, one after another, and times each run.
// The first error stops it.
func MeasureLatency(n int, op func() error) (Latency, error) {
	d := make([]time.Duration, 0, n)
	for range n {
		start := time.Now()
		err := op()
		d = append(d, time.Since(start))
		if err != nil {
			return Latency{}, err
		}
	}
	return Percentiles(d), nil
}

// Percentiles summarises d, which it sorts in place.
func Percentiles(d []time.Duration) Latency {
	if len(d) == 0 {
		return Latency{}
	}
	slices.Sort(d)
	at := func(p float64) time.Duration { return d[int(p*float64(len(d)-1))] }
	return Latency{N: len(d), P50: at(0.50), P99: at(0.99), Max: d[len(d)-1]}
}
