package loadgen

import (
	"slices"
	"time"
)

// maxErrorKinds bounds how many distinct error messages a run keeps.
const maxErrorKinds = 8

// recorder is one worker's samples. Workers never share one, so recording
// takes no lock.
type recorder struct {
	ok    int
	errs  int
	kinds map[string]int
	phase [NumPhases][]time.Duration
	total []time.Duration
	event []time.Duration
}

func (r *recorder) add(t *timings, err error) {
	if err != nil {
		r.errs++
		if r.kinds == nil {
			r.kinds = map[string]int{}
		}
		msg := err.Error()
		if _, seen := r.kinds[msg]; seen || len(r.kinds) < maxErrorKinds {
			r.kinds[msg]++
		}
		return
	}
	r.ok++
	for p := range NumPhases {
		r.phase[p] = append(r.phase[p], t.phase[p])
	}
	r.total = append(r.total, t.total)
	r.event = append(r.event, t.events...)
}

// Summary is a latency distribution.
type Summary struct {
	N    int
	Mean time.Duration
	P50  time.Duration
	P90  time.Duration
	P99  time.Duration
	Max  time.Duration
}

func summarize(d []time.Duration) Summary {
	if len(d) == 0 {
		return Summary{}
	}
	slices.Sort(d)
	var sum time.Duration
	for _, v := range d {
		sum += v
	}
	at := func(q float64) time.Duration { return d[min(int(q*float64(len(d))), len(d)-1)] }
	return Summary{N: len(d), Mean: sum / time.Duration(len(d)), P50: at(0.50), P90: at(0.90), P99: at(0.99), Max: d[len(d)-1]}
}

// Result is what one Run measured.
type Result struct {
	// Requests completed without error; only these are in the latencies.
	Requests int
	Errors   int
	// ErrorKinds counts the first few distinct error messages.
	ErrorKinds map[string]int
	Elapsed    time.Duration
	Phases     [NumPhases]Summary
	// Total is a whole request, from opening the stream to the last answer.
	Total Summary
	// Event is one chunk of a STREAMED response body, from sending it to
	// its answer: the delay each SSE event takes on its way to the client.
	// Empty when no body was streamed.
	Event Summary

	// The raw samples, kept so that results can be merged.
	phase [NumPhases][]time.Duration
	total []time.Duration
	event []time.Duration
}

// PerSecond is completed requests per second of wall time.
func (r *Result) PerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests) / r.Elapsed.Seconds()
}

func (r *Result) addErrors(kinds map[string]int) {
	for k, n := range kinds {
		if r.ErrorKinds == nil {
			r.ErrorKinds = map[string]int{}
		}
		if _, seen := r.ErrorKinds[k]; seen || len(r.ErrorKinds) < maxErrorKinds {
			r.ErrorKinds[k] += n
		}
	}
}

func (r *Result) summarize() {
	for p := range NumPhases {
		r.Phases[p] = summarize(r.phase[p])
	}
	r.Total = summarize(r.total)
	r.Event = summarize(r.event)
}

// Merge combines runs of the same load into one result, as if they had
// been a single run lasting their summed time. Interleaving short runs of
// two servers and merging each server's runs keeps a noisy machine from
// favouring whichever server ran at a quieter moment.
func Merge(rs ...*Result) *Result {
	out := &Result{}
	for _, r := range rs {
		out.Requests += r.Requests
		out.Errors += r.Errors
		out.Elapsed += r.Elapsed
		out.addErrors(r.ErrorKinds)
		for p := range NumPhases {
			out.phase[p] = append(out.phase[p], r.phase[p]...)
		}
		out.total = append(out.total, r.total...)
		out.event = append(out.event, r.event...)
	}
	out.summarize()
	return out
}

func merge(ws []*worker, elapsed time.Duration) *Result {
	res := &Result{Elapsed: elapsed}
	for _, w := range ws {
		r := &w.rec
		res.Requests += r.ok
		res.Errors += r.errs
		res.addErrors(r.kinds)
		for p := range NumPhases {
			res.phase[p] = append(res.phase[p], r.phase[p]...)
		}
		res.total = append(res.total, r.total...)
		res.event = append(res.event, r.event...)
	}
	res.summarize()
	return res
}
