package policy

import (
	"sync/atomic"

	"github.com/sluice-gw/sluice/pkg/policyvm"
)

// outcome is what an evaluation led to. Every evaluation has exactly one.
type outcome uint8

const (
	outcomeAllow      outcome = iota // the policy allowed
	outcomeDeny                      // the policy denied, or had no decision
	outcomeDryRunDeny                // the policy denied; DryRun let it through
	outcomeMalformed                 // the decision broke the contract: denied (let through in DryRun)
	outcomeError                     // the policy failed: fail closed (let through in DryRun)
	outcomeFailedOpen                // the policy failed: FailOpen let it through
	numOutcomes
)

var outcomeNames = [numOutcomes]string{"allow", "deny", "dry_run_deny", "malformed", "error", "failed_open"}

func (o outcome) String() string { return outcomeNames[o] }

// Stats are the engine's counters since New. They only grow.
type Stats struct {
	// Decisions by outcome; each evaluation counts once.
	Allow      uint64 // the policy allowed
	Deny       uint64 // the policy denied, or had no decision
	DryRunDeny uint64 // the policy denied, and DryRun let the request through
	Malformed  uint64 // the decision broke the contract and was denied
	Error      uint64 // the policy failed at runtime and the request failed closed
	FailedOpen uint64 // the policy failed at runtime and FailOpen let the request through

	Reloads      uint64 // policies activated after the first
	ReloadErrors uint64 // policies rejected; the last good one kept serving
	LogDrops     uint64 // decision-log events dropped because the writer fell behind

	// Remembered decisions (Options.MemoSize): found, evaluated and kept,
	// evaluated without being kept (an impure built-in, an error, an
	// input read too widely).
	MemoHits, MemoMisses, MemoSkipped uint64
}

type counters struct {
	outcomes     [numOutcomes]atomic.Uint64
	reloads      atomic.Uint64
	reloadErrors atomic.Uint64
	logDrops     atomic.Uint64
	// memo sums the memo counts of the states before the current one.
	memoHits, memoMisses, memoSkipped atomic.Uint64
}

func (c *counters) addMemo(s policyvm.MemoStats) {
	c.memoHits.Add(uint64(s.Hits))       //nolint:gosec // counts, never negative
	c.memoMisses.Add(uint64(s.Misses))   //nolint:gosec // counts, never negative
	c.memoSkipped.Add(uint64(s.Skipped)) //nolint:gosec // counts, never negative
}

// Stats returns a snapshot of the counters.
func (e *Engine) Stats() Stats {
	c := &e.counters
	var m policyvm.MemoStats
	if st := e.cur.Load(); st != nil && st.vm != nil {
		m = st.vm.MemoStats()
	}
	return Stats{
		MemoHits:     c.memoHits.Load() + uint64(m.Hits),       //nolint:gosec // counts, never negative
		MemoMisses:   c.memoMisses.Load() + uint64(m.Misses),   //nolint:gosec // counts, never negative
		MemoSkipped:  c.memoSkipped.Load() + uint64(m.Skipped), //nolint:gosec // counts, never negative
		Allow:        c.outcomes[outcomeAllow].Load(),
		Deny:         c.outcomes[outcomeDeny].Load(),
		DryRunDeny:   c.outcomes[outcomeDryRunDeny].Load(),
		Malformed:    c.outcomes[outcomeMalformed].Load(),
		Error:        c.outcomes[outcomeError].Load(),
		FailedOpen:   c.outcomes[outcomeFailedOpen].Load(),
		Reloads:      c.reloads.Load(),
		ReloadErrors: c.reloadErrors.Load(),
		LogDrops:     c.logDrops.Load(),
	}
}
